from django.urls import include, path

import config.ids  # noqa: F401  (registers <id:...>: out-of-range ids are a 404)
from scorecards.kit import views
from scorecards.manager import debrief_views
from scorecards.manager import views as manager_views

app_name = "scorecards"

urlpatterns = [
    path("interviews/", views.my_interviews, name="my_interviews"),
    path("interviews/<id:pk>/link/", views.magic_link, name="magic_link"),
    path("interviews/<id:pk>/kit/", views.interview_kit, name="kit"),
    path("interviews/<id:pk>/scorecard/", views.scorecard_form, name="scorecard"),
    path("interviews/<id:pk>/scorecard/draft/", views.scorecard_draft, name="scorecard_draft"),
    path("interviews/<id:pk>/scorecard/amend/", views.scorecard_amend, name="scorecard_amend"),
    path("scorecards/<id:pk>/", views.scorecard_detail, name="scorecard_detail"),
    # Hiring managers (issue 7)
    path("manager/", manager_views.pipeline, name="manager_pipeline"),
    path("manager/loops/<id:pk>/", manager_views.loop_summary, name="manager_loop"),
    path("manager/loops/<id:pk>/decision/", manager_views.loop_decide, name="manager_decide"),
    path("manager/requisitions/<id:pk>/compare/", manager_views.compare, name="manager_compare"),
    # Debrief discussion (issue 18)
    path("manager/loops/<id:pk>/comments/", debrief_views.loop_comment, name="manager_comment"),
    path(
        "manager/comments/<id:pk>/delete/",
        debrief_views.comment_delete,
        name="manager_comment_delete",
    ),
    # Insight: interviewer and pipeline reports, outcomes, validity (issue 18)
    path("insight/", include("scorecards.analytics.urls")),
]
