from django.urls import path

from . import manager_views, views

app_name = "scorecards"

urlpatterns = [
    path("interviews/", views.my_interviews, name="my_interviews"),
    path("interviews/<int:pk>/link/", views.magic_link, name="magic_link"),
    path("interviews/<int:pk>/kit/", views.interview_kit, name="kit"),
    path("interviews/<int:pk>/scorecard/", views.scorecard_form, name="scorecard"),
    path("interviews/<int:pk>/scorecard/draft/", views.scorecard_draft, name="scorecard_draft"),
    path("interviews/<int:pk>/scorecard/amend/", views.scorecard_amend, name="scorecard_amend"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
    # Hiring managers (issue 7)
    path("manager/", manager_views.pipeline, name="manager_pipeline"),
    path("manager/loops/<int:pk>/", manager_views.loop_summary, name="manager_loop"),
    path("manager/loops/<int:pk>/decision/", manager_views.loop_decide, name="manager_decide"),
    path("manager/requisitions/<int:pk>/compare/", manager_views.compare, name="manager_compare"),
]
