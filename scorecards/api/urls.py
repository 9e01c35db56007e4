from django.urls import path

from config.ids import IdRouter
from scorecards.api import insight, pipeline_insight, views
from scorecards.api import validity as validity_api

router = IdRouter()
router.register("scorecards", views.ScorecardViewSet, basename="scorecard")
router.register(
    "calibration/interviewers", views.InterviewerCalibrationViewSet, basename="calibration"
)

paths = [
    path(
        "interviews/<id:pk>/scorecard/draft/",
        views.ScorecardDraftView.as_view(),
        name="scorecard-draft",
    ),
    path(
        "interviews/<id:pk>/scorecard/submit/",
        views.ScorecardSubmitView.as_view(),
        name="scorecard-submit",
    ),
    path("loops/<id:pk>/summary/", views.LoopSummaryView.as_view(), name="loop-summary"),
    path("loops/<id:pk>/decisions/", views.LoopDecisionView.as_view(), name="loop-decisions"),
    # Predictive validity (issue 18): the /insight/validity/ report.
    path("insight/validity/", validity_api.ValidityView.as_view(), name="insight-validity"),
    # Pipeline analytics per requisition (issue 18).
    path(
        "insight/requisitions/<id:pk>/",
        pipeline_insight.PipelineInsightView.as_view(),
        name="insight-requisition",
    ),
    # Interviewer analytics (issue 18).
    path(
        "insight/interviewers/",
        insight.InterviewerInsightView.as_view(),
        name="insight-interviewers",
    ),
    path(
        "insight/interviewers/<id:pk>/",
        insight.InterviewerInsightDetailView.as_view(),
        name="insight-interviewer",
    ),
]

urlpatterns = [*paths, *router.urls]
