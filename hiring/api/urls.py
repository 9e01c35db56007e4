from config.ids import IdRouter
from hiring.api import outcomes, views

router = IdRouter()
router.register("role-profiles", views.RoleProfileViewSet, basename="role-profile")
router.register("requisitions", views.RequisitionViewSet, basename="requisition")
router.register("candidates", views.CandidateViewSet, basename="candidate")
router.register("loops", views.LoopViewSet, basename="loop")
router.register("interviews", views.InterviewViewSet, basename="interview")
router.register("decisions", views.DecisionViewSet, basename="decision")
# Outcomes after the hire (issue 18): every visible one, and one hired loop's checkpoints.
router.register("outcomes", outcomes.OutcomeViewSet, basename="outcome")
router.register("loops/<id:loop_id>/outcomes", outcomes.LoopOutcomeViewSet, basename="loop-outcome")

urlpatterns = router.urls
