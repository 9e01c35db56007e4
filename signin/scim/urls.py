"""``/scim/v2/``: the paths identity providers call, without trailing slashes (as they send
them). Ids are strings here so an unknown one is SCIM's 404 body, not the site's page."""

from __future__ import annotations

from django.urls import path

from signin.scim import views

app_name = "scim"

urlpatterns = [
    path("", views.root, name="root"),
    path("Users", views.users, name="users"),
    path("Users/<str:scim_id>", views.user, name="user"),
    path("Groups", views.groups, name="groups"),
    path("Groups/<str:scim_id>", views.group, name="group"),
    path("ServiceProviderConfig", views.service_provider_config, name="service_provider_config"),
    path("ResourceTypes", views.resource_types, name="resource_types"),
    path("Schemas", views.schemas, name="schemas"),
]
