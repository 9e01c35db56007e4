"""``/api/v1/``: the hiring and scorecards routers, the OpenAPI schema and its docs, all
served by the app (no CDN, no inline scripts)."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.ids import IdRouter
from hiring.api.urls import router as hiring_router
from scorecards.api.urls import paths as scorecards_paths
from scorecards.api.urls import router as scorecards_router

app_name = "api"

root = IdRouter()
root.registry.extend(hiring_router.registry)
root.registry.extend(scorecards_router.registry)


@csrf_exempt  # writes nothing; a POST here is a 404 like any other
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Any other ``/api/v1/`` address (say, a negative id that no route matches): a JSON
    404 like the API's own, never the HTML error page."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *scorecards_paths,
    path("", include(root.urls)),
    re_path(r"^(?P<rest>.*/)$", not_found),  # without the slash, APPEND_SLASH redirects first
]
