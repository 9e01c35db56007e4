"""``/api/v1/``: the hiring and scorecards routers, the OpenAPI schema and its docs, all
served by the app (no CDN, no inline scripts)."""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
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


REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _redoc_bundle() -> str:
    """Redoc's bundle with its one outside address (the Redocly logo in the menu's footer)
    pointed at Loopwise's own icon: the API reference works offline and asks nothing of
    another origin."""
    path_ = finders.find(REDOC_BUNDLE)
    assert isinstance(path_, str), (
        f"{REDOC_BUNDLE} is missing: is drf-spectacular-sidecar installed?"
    )
    with open(path_, encoding="utf-8") as bundle:
        return bundle.read().replace(REDOC_LOGO, static("loopwise/favicon.svg"))


@require_safe
@cache_control(max_age=86_400, public=True)
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_redoc_bundle(), content_type="text/javascript; charset=utf-8")


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("redoc/redoc.js", redoc_bundle, name="redoc_bundle"),
    *scorecards_paths,
    path("", include(root.urls)),
    re_path(r"^(?P<rest>.*/)$", not_found),  # without the slash, APPEND_SLASH redirects first
]
