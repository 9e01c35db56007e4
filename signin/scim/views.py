"""The ``/scim/v2/`` endpoints: the identity provider's bearer token, SCIM's JSON in and out,
and its error bodies (RFC 7644 §3.12). What each request does is ``resources.py``."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from signin.scim import resources
from signin.scim.resources import GROUP_SCHEMA, USER_SCHEMA, ScimError

CONTENT_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_COUNT = 200  # per page; an identity provider pages with startIndex and count
MAX_BODY = 1024 * 1024

View = Callable[..., HttpResponse]


def scim_json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, content_type=CONTENT_TYPE)


def scim_error(error: ScimError) -> JsonResponse:
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(error.status),
        "detail": error.detail,
    }
    if error.scim_type:
        body["scimType"] = error.scim_type
    response = scim_json(body, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def token_accepted(request: HttpRequest) -> bool:
    """Whether the request carries the identity provider's token: its SHA-256 is the
    ``SCIM_TOKEN_SHA256`` setting (compared in constant time). Unset, nothing is."""
    expected = settings.SCIM_TOKEN_SHA256
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not token.strip():
        return False
    presented = hashlib.sha256(token.strip().encode()).hexdigest()
    return hmac.compare_digest(presented, expected)


def body_of(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise ScimError(413, "The request is too large.")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The body is a JSON object.", "invalidSyntax")
    return body


def scim_endpoint(methods: tuple[str, ...]) -> Callable[[View], View]:
    """The token checked first (a 401 before anything is looked up), then the method, then
    the view; a ``ScimError`` anywhere becomes SCIM's error body."""

    def decorate(view: View) -> View:
        @csrf_exempt  # a bearer token, never a cookie, signs these requests
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not token_accepted(request):
                return scim_error(ScimError(401, "Send the SCIM bearer token."))
            if request.method not in methods:
                response = scim_error(ScimError(405, f"{request.method} is not supported here."))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except ScimError as error:
                return scim_error(error)

        return wrapped

    return decorate


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim:root")).rstrip("/")


def _page(request: HttpRequest) -> tuple[int, int]:
    """``startIndex`` (1-based) and ``count`` from the query; bad numbers are refused."""
    try:
        start = max(int(request.GET.get("startIndex", "1")), 1)
        count = min(max(int(request.GET.get("count", str(MAX_COUNT))), 0), MAX_COUNT)
    except ValueError:
        raise ScimError(400, "startIndex and count are whole numbers.", "invalidValue") from None
    return start, count


def list_response(resources_page: list[dict[str, Any]], total: int, start: int) -> JsonResponse:
    return scim_json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources_page),
            "Resources": resources_page,
        }
    )


def created(resource: dict[str, Any]) -> JsonResponse:
    response = scim_json(resource, status=201)
    response["Location"] = resource["meta"]["location"]
    return response


# --- Users -------------------------------------------------------------------------------------


@scim_endpoint(("GET", "POST"))
def users(request: HttpRequest) -> HttpResponse:
    root = base_url(request)
    if request.method == "POST":
        return created(resources.user_resource(resources.user_create(body_of(request)), root))
    start, count = _page(request)
    found = resources.users_matching(request.GET.get("filter"))
    page = list(found[start - 1 : start - 1 + count]) if count else []
    return list_response([resources.user_resource(u, root) for u in page], found.count(), start)


@scim_endpoint(("GET", "PUT", "PATCH", "DELETE"))
def user(request: HttpRequest, scim_id: str) -> HttpResponse:
    person = resources.user_by_id(scim_id)
    if request.method == "DELETE":
        resources.user_deactivate(person)
        return HttpResponse(status=204)
    if request.method == "PUT":
        person = resources.user_replace(person, body_of(request))
    elif request.method == "PATCH":
        person = resources.user_patch(person, body_of(request))
    return scim_json(resources.user_resource(person, base_url(request)))


# --- Groups ------------------------------------------------------------------------------------


@scim_endpoint(("GET", "POST"))
def groups(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # A pushed group that is one of ours already exists: the provider then links to it.
        name = body_of(request).get("displayName")
        if isinstance(name, str) and any(
            ours.lower() == name.lower() for ours, _ in resources.managed_groups()
        ):
            raise ScimError(409, f"The group {name!r} exists: link to it.", "uniqueness")
        raise ScimError(501, "Loopwise's groups are set by its SCIM_GROUPS setting.")
    root = base_url(request)
    start, count = _page(request)
    found = resources.groups_matching(request.GET.get("filter"))
    page = found[start - 1 : start - 1 + count]
    members = _with_members(request)
    return list_response(
        [resources.group_resource(n, g, root, members=members) for n, g in page],
        len(found),
        start,
    )


def _with_members(request: HttpRequest) -> bool:
    excluded = request.GET.get("excludedAttributes", "")
    return "members" not in {name.strip().lower() for name in excluded.split(",")}


@scim_endpoint(("GET", "PATCH", "PUT", "DELETE"))
def group(request: HttpRequest, scim_id: str) -> HttpResponse:
    scim_name, found = resources.group_by_id(scim_id)
    if request.method == "DELETE":
        raise ScimError(501, "Loopwise's groups are set by its SCIM_GROUPS setting.")
    if request.method == "PATCH":
        resources.group_patch(scim_name, found, body_of(request))
    elif request.method == "PUT":
        resources.group_replace(scim_name, found, body_of(request))
    return scim_json(
        resources.group_resource(
            scim_name, found, base_url(request), members=_with_members(request)
        )
    )


# --- Discovery (RFC 7643 §5-7) -----------------------------------------------------------------


@scim_endpoint(("GET",))
def root(request: HttpRequest) -> HttpResponse:
    raise ScimError(404, "See /scim/v2/Users, /scim/v2/Groups and /scim/v2/ServiceProviderConfig.")


@scim_endpoint(("GET",))
def service_provider_config(request: HttpRequest) -> HttpResponse:
    unsupported = {"supported": False}
    return scim_json(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": True},
            "bulk": {**unsupported, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": unsupported,
            "sort": unsupported,
            "etag": unsupported,
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "The token whose SHA-256 is Loopwise's SCIM_TOKEN_SHA256.",
                    "primary": True,
                }
            ],
            "meta": {"resourceType": "ServiceProviderConfig"},
        }
    )


def _resource_types(root_url: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": name,
            "name": name,
            "endpoint": f"/{name}s",
            "schema": schema,
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{root_url}/ResourceTypes/{name}",
            },
        }
        for name, schema in (("User", USER_SCHEMA), ("Group", GROUP_SCHEMA))
    ]


@scim_endpoint(("GET",))
def resource_types(request: HttpRequest) -> HttpResponse:
    found = _resource_types(base_url(request))
    return list_response(found, len(found), 1)


def _attribute(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": False,
        "mutability": "readWrite",
        "returned": "default",
        **extra,
    }


SCHEMAS = {
    USER_SCHEMA: {
        "name": "User",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server"),
            _attribute(
                "name",
                "complex",
                subAttributes=[_attribute("givenName"), _attribute("familyName")],
            ),
            _attribute("displayName", mutability="readOnly"),
            _attribute(
                "emails",
                "complex",
                multiValued=True,
                required=True,
                subAttributes=[_attribute("value"), _attribute("primary", "boolean")],
            ),
            _attribute("active", "boolean"),
            _attribute("timezone"),
            _attribute("groups", "complex", multiValued=True, mutability="readOnly"),
        ],
    },
    GROUP_SCHEMA: {
        "name": "Group",
        "attributes": [
            _attribute("displayName", mutability="readOnly"),
            _attribute("members", "complex", multiValued=True),
        ],
    },
}


@scim_endpoint(("GET",))
def schemas(request: HttpRequest) -> HttpResponse:
    found = [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": schema_id,
            **schema,
            "meta": {
                "resourceType": "Schema",
                "location": f"{base_url(request)}/Schemas/{schema_id}",
            },
        }
        for schema_id, schema in SCHEMAS.items()
    ]
    return list_response(found, len(found), 1)
