"""The insight pages, under /insight/ (included by ``scorecards.urls``, so their names are
``scorecards:insight_...``). Each report adds its routes here."""

from django.urls import URLPattern, path

from scorecards.analytics.views import interviewers, outcomes, pipeline
from scorecards.analytics.views import validity as validity_views

urlpatterns: list[URLPattern] = []

# Interviewer analytics: the table (and its CSV), one person's page.
urlpatterns += [
    path("interviewers/", interviewers.interviewer_list, name="insight_interviewers"),
    path("interviewers.csv", interviewers.interviewer_csv, name="insight_interviewers_csv"),
    path("interviewers/<id:pk>/", interviewers.interviewer_detail, name="insight_interviewer"),
]

# Pipeline analytics per requisition: the list, one requisition's report and its CSV.
urlpatterns += [
    path("requisitions/", pipeline.requisition_list, name="insight_requisitions"),
    path("requisitions/<id:pk>/", pipeline.requisition_detail, name="insight_requisition"),
    path(
        "requisitions/<id:pk>/pipeline.csv",
        pipeline.requisition_csv,
        name="insight_requisition_csv",
    ),
]

# Predictive validity: a role profile's figures and suggested weights, and their CSV.
urlpatterns += [
    path("validity/", validity_views.validity_page, name="insight_validity"),
    path("validity.csv", validity_views.validity_csv, name="insight_validity_csv"),
]

# Outcomes after the hire: a hired loop's checkpoints, and the CSV of those the reader sees.
urlpatterns += [
    path("loops/<id:pk>/outcomes/", outcomes.loop_outcomes, name="insight_outcomes"),
    path("outcomes.csv", outcomes.outcomes_csv, name="insight_outcomes_csv"),
    path("outcomes/import/", outcomes.outcomes_import, name="insight_outcomes_import"),
]
