from django.urls import path

from . import views

app_name = "scorecards"

urlpatterns = [
    path("interviews/", views.my_interviews, name="my_interviews"),
    path("interviews/<int:pk>/link/", views.magic_link, name="magic_link"),
    path("interviews/<int:pk>/kit/", views.interview_kit, name="kit"),
    path("interviews/<int:pk>/scorecard/", views.scorecard_form, name="scorecard"),
    path("interviews/<int:pk>/scorecard/draft/", views.scorecard_draft, name="scorecard_draft"),
    path("interviews/<int:pk>/scorecard/amend/", views.scorecard_amend, name="scorecard_amend"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
]
