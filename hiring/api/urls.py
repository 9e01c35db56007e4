from config.ids import IdRouter
from hiring.api import views

router = IdRouter()
router.register("role-profiles", views.RoleProfileViewSet, basename="role-profile")
router.register("requisitions", views.RequisitionViewSet, basename="requisition")
router.register("candidates", views.CandidateViewSet, basename="candidate")
router.register("loops", views.LoopViewSet, basename="loop")
router.register("interviews", views.InterviewViewSet, basename="interview")
router.register("decisions", views.DecisionViewSet, basename="decision")

urlpatterns = router.urls
