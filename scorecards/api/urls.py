from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("scorecards", views.ScorecardViewSet, basename="scorecard")
router.register(
    "calibration/interviewers", views.InterviewerCalibrationViewSet, basename="calibration"
)

paths = [
    path(
        "interviews/<int:pk>/scorecard/draft/",
        views.ScorecardDraftView.as_view(),
        name="scorecard-draft",
    ),
    path(
        "interviews/<int:pk>/scorecard/submit/",
        views.ScorecardSubmitView.as_view(),
        name="scorecard-submit",
    ),
    path("loops/<int:pk>/summary/", views.LoopSummaryView.as_view(), name="loop-summary"),
    path("loops/<int:pk>/decisions/", views.LoopDecisionView.as_view(), name="loop-decisions"),
]

urlpatterns = [*paths, *router.urls]
