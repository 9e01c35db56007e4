from django.urls import path

from config.ids import IdRouter
from scorecards.api import views

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
]

urlpatterns = [*paths, *router.urls]
