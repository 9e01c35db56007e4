"""The route matrix: every URL pattern of the site, every admin view and action, and every API
operation, with who may use it (DESIGN §6), in one table that a person can read.

A rule names who may; everyone else must be refused: 401/403/404/405, or a redirect to a
sign-in page. Nobody refused ever gets a 200 with content. Rules are judged per object: the
URL is filled with an object the persona owns and with one of another requisition.

Add a route here when you add one to the site: the matrix test fails naming any pattern that
is not in the table, so nothing new ships unprotected by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q
from django.urls import URLPattern, URLResolver, get_resolver

from hiring.models import (
    Attachment,
    AuditEvent,
    CalendarSource,
    Candidate,
    DebriefComment,
    Decision,
    HireOutcome,
    Interview,
    Loop,
    Notification,
    PlanSlot,
    Requisition,
    RoleProfile,
    SchedulingProfile,
    TrainingRecord,
    User,
)
from scorecards.models import (
    DimensionRating,
    InterviewerCalibration,
    LoopSummary,
    Scorecard,
)

from .world import World

# --- The table -------------------------------------------------------------------------------
# A value is one rule for every method, or (rule for GET, rule for POST). The vocabulary:
#   public              anyone, signed in or not
#   any_user            anyone signed in (the content is scoped: the sentinel crawl checks it)
#   recruiter_any       any recruiter (staff in the Recruiters group), whatever the object
#   recruiter_of_object a recruiter of (one of) the object's requisition(s)
#   recruiter_or_recipient  that, or the person a notification is addressed to
#   recruiter_not_owing a recruiter of the object's requisition who owes no scorecard on its loop
#   staff_of_object     a recruiter or the hiring manager of the object's requisition
#   staff_any           a recruiter or the hiring manager of some requisition
#   staff_not_owing     that, and owing no scorecard on the object's loop (the blind rule)
#   staff_or_panel      staff of the object's requisition, or on a panel of one of its loops
#   staff_or_interview_panel  staff of the interview's requisition, or on its panel
#   attachment_reader   staff of the document's candidate's requisitions, or on a panel of one
#                       of that candidate's loops
#   decider             the requisition's hiring manager owing no scorecard on the loop
#   comment_author      a debrief comment's author, while they may read the loop's summary
#   panel               on the interview's panel, signed in or through its e-mail link
#   panel_signed_in     on the interview's panel, signed in (the API knows no e-mail links)
#   scorecard_reader    the author; colleagues who submitted (if the profile allows); staff of
#                       the requisition not on that loop's panel (submitted ones only)
#   scorecard_page_reader       a scorecard_reader of a submitted one (or its author)
#   recruiter_scorecard_reader  a recruiter who is a scorecard_reader of a submitted one
#   admin_app           an app index: recruiters for hiring and scorecards, else superusers
#   superuser           superusers only
#   superuser_submitted superusers, and only for a submitted scorecard
#   nobody              no one (not even a superuser): the view refuses every GET, say
# A superuser passes every rule but "nobody", "panel" and "panel_signed_in" (a kit is the
# panel's own page).

SITE: dict[str, Any] = {
    "healthz": "public",
    "readyz": "public",
    # Prometheus scrapes with METRICS_TOKEN (or from METRICS_ALLOWED_NETWORKS); no session opens it.
    "metrics": "nobody",
    "": "any_user",
    "login/": "public",
    "logout/": ("nobody", "public"),  # Django 5 signs out on POST only
    # Single sign-on: 404 here, where it is not configured (tests/test_oidc.py drives it).
    "oidc/start/": "nobody",
    "oidc/callback/": "nobody",
    "interviews/": "any_user",
    "interviews/calendar/": "any_user",  # one's own calendars only (hiring.access)
    # The candidate's booking page: the signed link is the permission, and a made-up one
    # opens nothing for anyone (the link holder: tests/hiring/test_booking.py).
    "book/<str:token>/": "nobody",
    "interviews/<id:pk>/link/": "nobody",  # without its token: tested through magic_link
    "interviews/<id:pk>/kit/": "panel",
    "interviews/<id:pk>/scorecard/": "panel",
    "interviews/<id:pk>/scorecard/draft/": ("nobody", "panel"),
    "interviews/<id:pk>/scorecard/amend/": ("nobody", "panel"),
    "scorecards/<id:pk>/": "scorecard_page_reader",
    "manager/": "any_user",
    "manager/loops/<id:pk>/": "staff_of_object",
    "manager/loops/<id:pk>/decision/": ("nobody", "decider"),
    "manager/requisitions/<id:pk>/compare/": "staff_of_object",
    # The debrief discussion (issue 18): whoever may read the summary posts; only a
    # comment's author deletes it (a superuser neither reads the text away nor deletes it).
    "manager/loops/<id:pk>/comments/": ("nobody", "staff_not_owing"),
    "manager/comments/<id:pk>/delete/": ("nobody", "comment_author"),
    # Outcomes after the hire (issue 18): the requisition's staff, never its panel; the CSV
    # holds each reader's own (hiring.access), nothing for an interviewer.
    "insight/loops/<id:pk>/outcomes/": "staff_of_object",
    "insight/outcomes.csv": "any_user",
    "insight/outcomes/import/": "superuser",  # HR's CSV upload: all or nothing
    # Predictive validity (issue 18): the staff of some requisition read their profiles'
    # figures; an interviewer gets a 404 (outcomes never reach them).
    "insight/validity/": "staff_any",
    "insight/validity.csv": "staff_any",
    # Pipeline analytics (issue 18): the list holds each reader's own requisitions; one
    # requisition's report and its CSV are its staff's, never its panel's.
    "insight/requisitions/": "any_user",
    "insight/requisitions/<id:pk>/": "staff_of_object",
    "insight/requisitions/<id:pk>/pipeline.csv": "staff_of_object",
    # Interviewer analytics (issue 18): the table and its CSV hold each reader's own
    # (hiring.access); one person's page: staff of a requisition they sat on, never a colleague.
    "insight/interviewers/": "any_user",
    "insight/interviewers.csv": "any_user",
    "insight/interviewers/<id:pk>/": "staff_of_object",
    # A candidate's document, streamed; an e-mail link's downloads name their interview
    # (?interview=, tested in tests/hiring/test_attachments.py), so without it they sign in.
    "attachments/<id:pk>/": ("attachment_reader", "nobody"),
    # One's own API tokens (create, shown once; revoke) and sessions (issue 16): the page and
    # its forms touch only the signed-in person's own (hiring.access).
    "account/": "any_user",
    "account/tokens/revoke/": ("nobody", "any_user"),
    "account/sign-out-everywhere/": ("nobody", "any_user"),  # POST not sent: see conftest
    # SCIM provisioning (issue 16, signin.scim): the identity provider's bearer token alone
    # opens these (tests/test_scim.py); no session, however privileged, and no API token does.
    "scim/v2/": "nobody",
    "scim/v2/Users": "nobody",
    "scim/v2/Users/<str:scim_id>": "nobody",
    "scim/v2/Groups": "nobody",
    "scim/v2/Groups/<str:scim_id>": "nobody",
    "scim/v2/ServiceProviderConfig": "nobody",
    "scim/v2/ResourceTypes": "nobody",
    "scim/v2/Schemas": "nobody",
    # One's own two-factor (set up, new recovery codes, off; the code after a password
    # sign-in); a superuser resets someone else's.
    "account/two-factor/": "any_user",
    "account/two-factor/verify/": "any_user",
    "account/two-factor/reset/": "superuser",
}

# Every registered ModelAdmin: (changelist, add, change, delete, history), each a rule or a
# (GET, POST) pair. "object" rules are judged on the object in the URL.
ADMIN_MODELS: dict[str, tuple[Any, Any, Any, Any, Any]] = {
    "auth.group": ("superuser",) * 5,
    # Locked-out sign-ins (django-axes): written by the sign-in, never typed.
    "axes.accessattempt": ("superuser", "nobody", "superuser", "superuser", "superuser"),
    # API tokens: created on /account/ (shown once there), never edited, revoked not deleted.
    "signin.apitoken": ("superuser", "nobody", "superuser", "nobody", "superuser"),
    # Recruiters read colleagues' names (they pick panels); only superusers edit accounts.
    "hiring.user": (
        "recruiter_any",
        "superuser",
        ("recruiter_any", "superuser"),
        "superuser",
        "recruiter_any",
    ),
    # DESIGN §6: role profiles, rubric, thresholds: recruiters read, admins write.
    "hiring.roleprofile": (
        "recruiter_any",
        "superuser",
        ("recruiter_of_object", "superuser"),
        "superuser",
        "recruiter_of_object",
    ),
    # Staffing is read-only for recruiters (checked field by field in test_writes.py).
    "hiring.requisition": (
        "recruiter_any",
        "superuser",
        "recruiter_of_object",
        "superuser",
        "recruiter_of_object",
    ),
    "hiring.loop": (
        "recruiter_any",
        "recruiter_any",
        "recruiter_of_object",
        "superuser",
        "recruiter_of_object",
    ),
    "hiring.interview": (
        "recruiter_any",
        "recruiter_any",  # one interview's page, from its loop's schedule ("Add interview")
        "recruiter_of_object",
        "superuser",
        "recruiter_of_object",
    ),
    # Decisions are recorded by the hiring manager's service only (audited, announced).
    "hiring.decision": (
        "recruiter_any",
        "nobody",
        ("recruiter_of_object", "nobody"),
        "nobody",
        "recruiter_of_object",
    ),
    "hiring.notification": (
        "recruiter_any",
        "nobody",
        ("recruiter_or_recipient", "nobody"),
        "nobody",
        "recruiter_or_recipient",
    ),
    "hiring.candidate": (
        "recruiter_any",
        "recruiter_any",
        "recruiter_of_object",
        "superuser",
        "recruiter_of_object",
    ),
    "hiring.auditevent": (
        "recruiter_any",
        "nobody",
        ("recruiter_of_object", "nobody"),
        "nobody",
        "recruiter_of_object",
    ),
    "hiring.webhooksubscription": ("superuser",) * 5,
    "hiring.webhookdelivery": (
        "superuser",
        "nobody",
        ("superuser", "nobody"),
        "nobody",
        "superuser",
    ),
    "scorecards.scorecard": (
        "recruiter_any",
        "nobody",
        ("recruiter_scorecard_reader", "nobody"),
        "nobody",  # a submitted scorecard is history: amended, never deleted
        "recruiter_scorecard_reader",
    ),
    "scorecards.dimensionrating": (
        "superuser",
        "nobody",
        ("superuser", "nobody"),
        "superuser",
        "superuser",
    ),
    "scorecards.loopsummary": (
        "recruiter_any",
        "nobody",
        ("recruiter_not_owing", "nobody"),
        "nobody",
        "recruiter_not_owing",
    ),
    "scorecards.interviewercalibration": (
        "recruiter_any",
        "nobody",
        ("recruiter_of_object", "nobody"),
        "nobody",
        "recruiter_of_object",
    ),
    # Interviewers' hours, limits and training (issue 17): the recruiters who schedule the
    # person (their requisitions' pools, panels, training) or run the slot's plan.
    "hiring.schedulingprofile": (
        "recruiter_any",
        "recruiter_any",
        "recruiter_of_object",
        "superuser",
        "recruiter_of_object",
    ),
    "hiring.trainingrecord": (
        "recruiter_any",
        "recruiter_any",
        "recruiter_of_object",
        "recruiter_of_object",
        "recruiter_of_object",
    ),
    # Interviewers' calendars (issue 17): their recruiters read the state, never where they
    # are; owners connect them on their own page (never added here); administrators rename
    # them or turn write-back on or off.
    "hiring.calendarsource": (
        "recruiter_any",
        "nobody",
        ("recruiter_of_object", "superuser"),
        "superuser",
        "recruiter_of_object",
    ),
    # The nightly refreshes' log (issue 14): computed, never typed; administrators read it.
    "scorecards.summaryrefresh": (
        "superuser",
        "nobody",
        ("superuser", "nobody"),
        "nobody",
        "superuser",
    ),
}


def autocomplete(field: str) -> str:
    """The autocomplete widget of ``app.model.field``: its requests as a table key."""
    app, model, name = field.split(".")
    return f"admin/autocomplete/?app_label={app}&model_name={model}&field_name={name}"


ADMIN_SITE: dict[str, Any] = {
    "admin/": "recruiter_any",
    "admin/login/": "public",
    "admin/logout/": ("nobody", "public"),
    "admin/password_change/": "recruiter_any",
    "admin/password_change/done/": "recruiter_any",
    "admin/autocomplete/": "nobody",  # a bare GET names no field: refused to all
    # Each widget answers whoever may fill its field in, with only what the field accepts
    # (the sentinel crawl reads the answers); a field no form picks this way, nobody.
    autocomplete("hiring.loop.candidate"): "recruiter_any",
    autocomplete("hiring.interview.interviewers"): "recruiter_any",
    autocomplete("hiring.interview.loop"): "recruiter_any",
    # A requisition's own interview plan: its pool of interviewers (issue 17).
    autocomplete("hiring.planslot.pool"): "recruiter_any",
    # A person's scheduling profile, a trainee (issue 17): the people the recruiter schedules.
    autocomplete("hiring.schedulingprofile.user"): "recruiter_any",
    autocomplete("hiring.trainingrecord.person"): "recruiter_any",
    autocomplete("hiring.requisition.hiring_manager"): "superuser",
    autocomplete("hiring.requisition.recruiters"): "superuser",
    autocomplete("scorecards.scorecard.interviewer"): "nobody",
    "admin/jsi18n/": "recruiter_any",
    "admin/r/<path:content_type_id>/<path:object_id>/": "nobody",  # no get_absolute_url
    "admin/<app_label>/": "admin_app",
    "admin/<url>": "nobody",  # the catch-all: 404, or the sign-in page
    # An object's bare URL only redirects to its change page.
    "admin/<app>/<model>/<path:object_id>/": "recruiter_any",
    "admin/hiring/user/<id>/password/": "superuser",
    # Custom views (ModelAdmin.get_urls)
    "admin/hiring/loop/<int:object_id>/run/<str:button>/": ("nobody", "recruiter_of_object"),
    # Propose schedules (GET, reads only) and book one (POST): issue 17
    "admin/hiring/loop/<int:object_id>/propose/": "recruiter_of_object",
    # Schedule, move or cancel the loop's debrief (issue 18)
    "admin/hiring/loop/<int:object_id>/debrief/": "recruiter_of_object",
    "admin/hiring/interview/<int:object_id>/run/<str:button>/": (
        "nobody",
        "recruiter_of_object",
    ),
    # The interviewer load view for a week (issue 17): reads only, scoped to the recruiter's
    # requisitions' people.
    "admin/hiring/schedulingprofile/load/": "recruiter_any",
    "admin/hiring/candidate/<int:object_id>/personal-data/": ("nobody", "recruiter_of_object"),
    "admin/hiring/candidate/<int:object_id>/erase/": "recruiter_of_object",
    # upload or remove a document: a POST from the candidate's page
    "admin/hiring/candidate/<int:object_id>/attachments/": ("nobody", "recruiter_of_object"),
    "admin/hiring/candidate/import/": "recruiter_any",
    "admin/hiring/candidate/process_import/": ("nobody", "recruiter_any"),
    "admin/hiring/candidate/export/": "recruiter_any",
}

# Admin actions: POST to the changelist with action=<name> and the object selected.
# "<model>:delete_selected" follows that model's delete rule.
ADMIN_ACTIONS: dict[str, str] = {
    "hiring.loop:send_invites": "recruiter_of_object",
    "hiring.loop:nudge": "recruiter_of_object",
    "hiring.loop:withdraw": "recruiter_of_object",
    "hiring.loop:reopen": "recruiter_of_object",
    "hiring.interview:mark_no_show": "recruiter_of_object",
    "hiring.interview:mark_cancelled": "recruiter_of_object",
    "hiring.notification:resend": "recruiter_or_recipient",
    "hiring.calendarsource:sync_now": "recruiter_of_object",
    "hiring.candidate:export_personal_data": "recruiter_of_object",
    "hiring.candidate:erase": "recruiter_of_object",
    "hiring.webhooksubscription:send_test_event": "superuser",
    "hiring.webhooksubscription:rotate_secret": "superuser",
    "hiring.webhookdelivery:retry": "superuser",
    "axes.accessattempt:unlock": "superuser",
    "signin.apitoken:revoke": "superuser",
}

API: dict[str, str] = {
    "api/v1/schema/": "public",
    "api/v1/docs/": "public",
    "api/v1/redoc/": "public",
    "api/v1/redoc/redoc.js": "public",
    "api/v1/": "any_user",
    "api/v1/<rest>": "nobody",  # any other /api/v1/ address: a JSON 404
    "GET /api/v1/role-profiles/": "any_user",
    "GET /api/v1/role-profiles/{id}/": "staff_or_panel",
    "GET /api/v1/requisitions/": "any_user",
    "GET /api/v1/requisitions/{id}/": "staff_or_panel",
    "GET /api/v1/requisitions/{id}/plan/": "staff_or_panel",  # as the requisition
    "GET /api/v1/candidates/": "any_user",
    "GET /api/v1/candidates/{id}/": "staff_or_panel",
    "GET /api/v1/candidates/{id}/personal-data/": "recruiter_of_object",
    "POST /api/v1/candidates/{id}/erase/": "recruiter_of_object",
    "GET /api/v1/loops/": "any_user",
    "GET /api/v1/loops/{id}/": "staff_or_panel",
    "GET /api/v1/loops/{id}/summary/": "staff_not_owing",
    "POST /api/v1/loops/{id}/decisions/": "decider",
    # The debrief (issue 18): the meeting for staff and panel; the discussion as the summary.
    "GET /api/v1/loops/{id}/debrief/": "staff_or_panel",
    "GET /api/v1/loops/{id}/comments/": "staff_not_owing",
    "POST /api/v1/loops/{id}/comments/": "staff_not_owing",
    "GET /api/v1/insight/requisitions/{id}/": "staff_of_object",  # pipeline analytics
    # Outcomes after the hire (issue 18): the requisition's staff, never its panel.
    "GET /api/v1/outcomes/": "any_user",
    "GET /api/v1/outcomes/{id}/": "staff_of_object",
    "GET /api/v1/loops/{loop_id}/outcomes/": "staff_of_object",
    "POST /api/v1/loops/{loop_id}/outcomes/": "staff_of_object",
    "GET /api/v1/interviews/": "any_user",
    "GET /api/v1/interviews/{id}/": "staff_or_interview_panel",
    "POST /api/v1/interviews/{id}/scorecard/draft/": "panel_signed_in",
    "POST /api/v1/interviews/{id}/scorecard/submit/": "panel_signed_in",
    "GET /api/v1/decisions/": "any_user",
    "GET /api/v1/decisions/{id}/": "staff_of_object",
    "GET /api/v1/scorecards/": "any_user",
    "GET /api/v1/scorecards/{id}/": "scorecard_reader",
    "GET /api/v1/calibration/interviewers/": "any_user",
    "GET /api/v1/calibration/interviewers/{interviewer}/": "staff_of_object",
    "GET /api/v1/insight/validity/": "staff_any",  # predictive validity, as its page
    # Interviewer analytics (issue 18): as the pages /insight/interviewers/.
    "GET /api/v1/insight/interviewers/": "any_user",
    "GET /api/v1/insight/interviewers/{id}/": "staff_of_object",
}

# Which of the world's objects fill a URL's parameter, by the kind of object it names.
FILLS: dict[str, tuple[str, ...]] = {
    "auth.group": ("group",),
    "axes.accessattempt": ("attempt",),
    "signin.apitoken": ("token",),
    "hiring.user": ("u_olga",),
    "hiring.roleprofile": ("profile_a", "profile_b"),
    "hiring.requisition": ("req_a", "req_b"),
    "hiring.loop": ("a1", "a2", "b1"),
    "hiring.interview": ("i_owen", "i_staff", "i_bea"),
    "hiring.decision": ("d_a3", "d_b1"),
    "hiring.notification": ("n_a", "n_b"),
    "hiring.candidate": ("shared", "olive", "bert"),
    "hiring.auditevent": ("e_a", "e_b"),
    "hiring.attachment": ("doc_a2", "doc_b2"),
    "hiring.webhooksubscription": ("subscription",),
    "hiring.webhookdelivery": ("delivery",),
    "scorecards.scorecard": ("s_sam", "s_owen", "s_ivy", "s_bea"),
    "scorecards.dimensionrating": ("r_ivy", "r_bea"),
    "scorecards.loopsummary": ("sum_a1", "sum_a2", "sum_b1"),
    "scorecards.interviewercalibration": ("cal_ivy", "cal_bea"),
    "scorecards.summaryrefresh": ("refresh",),
    "hiring.schedulingprofile": ("sched_sam", "sched_bea"),
    "hiring.trainingrecord": ("train_a", "train_b"),
    "hiring.calendarsource": ("calsrc_sam", "calsrc_bea"),
    "hiring.debriefcomment": ("c_a1", "c_a2"),
    "hiring.hireoutcome": ("o_a3",),
}
# Actions act on open loops and their interviews.
ACTION_FILLS = {
    "hiring.loop": ("a2", "b2"),
    "hiring.interview": ("i_owen", "i_bea"),
}
SITE_KINDS = {
    "interviews/<id:pk>/": "hiring.interview",
    "scorecards/<id:pk>/": "scorecards.scorecard",
    "manager/loops/<id:pk>/": "hiring.loop",
    "manager/comments/<id:pk>/": "hiring.debriefcomment",
    "insight/loops/<id:pk>/": "hiring.loop",
    "attachments/<id:pk>/": "hiring.attachment",
    "insight/interviewers/<id:pk>/": "scorecards.interviewercalibration",
    "manager/requisitions/<id:pk>/": "hiring.requisition",
    "insight/requisitions/<id:pk>/": "hiring.requisition",
    "/api/v1/insight/requisitions/{id}/": "hiring.requisition",
    "/api/v1/role-profiles/{id}/": "hiring.roleprofile",
    "/api/v1/requisitions/{id}/": "hiring.requisition",
    "/api/v1/candidates/{id}/": "hiring.candidate",
    "/api/v1/loops/{id}/": "hiring.loop",
    "/api/v1/interviews/{id}/": "hiring.interview",
    "/api/v1/decisions/{id}/": "hiring.decision",
    "/api/v1/outcomes/{id}/": "hiring.hireoutcome",
    "/api/v1/scorecards/{id}/": "scorecards.scorecard",
    "/api/v1/calibration/interviewers/{interviewer}/": "scorecards.interviewercalibration",
    "/api/v1/insight/interviewers/{id}/": "scorecards.interviewercalibration",
}

ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history")
ADMIN_TEMPLATES = {
    "changelist": "admin/{app}/{model}/",
    "add": "admin/{app}/{model}/add/",
    "change": "admin/{app}/{model}/<path:object_id>/change/",
    "delete": "admin/{app}/{model}/<path:object_id>/delete/",
    "history": "admin/{app}/{model}/<path:object_id>/history/",
}


def _split(value: Any) -> tuple[str, str]:
    return (value, value) if isinstance(value, str) else (value[0], value[1])


# --- Enumerating the routes ----------------------------------------------------------------


def _normalise(pattern: str) -> str:
    """A regex pattern as a readable template: ``^loops/(?P<pk>[^/.]+)/$`` -> ``loops/<pk>/``."""
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern)
    return text.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")


def site_patterns(urlconf: str | None = None) -> list[str]:
    """Every URL pattern of the site, walked through every include, as a template."""
    found: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            text = prefix + _normalise(str(entry.pattern))
            if isinstance(entry, URLResolver):
                walk(entry, text)
            elif isinstance(entry, URLPattern):
                found.append(text)

    walk(get_resolver(urlconf), "")
    return found


def _admin_key(template: str) -> str | None:
    """The table's key for an admin pattern, or None when it is not a per-model one."""
    match = re.fullmatch(r"admin/(\w+)/(\w+)/(.*)", template)
    if not match or f"{match[1]}.{match[2]}" not in ADMIN_MODELS:
        return None
    rest = match[3]
    if rest == "<path:object_id>/":
        return "admin/<app>/<model>/<path:object_id>/"
    for view in ADMIN_VIEWS:
        if ADMIN_TEMPLATES[view].format(app=match[1], model=match[2]) == template:
            return f"{match[1]}.{match[2]}:{view}"
    return None


def _api_path(template: str) -> str:
    """A resolver template under ``api/v1/`` as its OpenAPI path (``{id}`` for the pk)."""
    base = template.replace(".<format>", "").replace("<drf_format_suffix:format>", "")
    path = "/" + re.sub(
        r"<(?:int:|id:)?(\w+)>", lambda m: "{id}" if m[1] == "pk" else "{" + str(m[1]) + "}", base
    )
    return path if path.endswith("/") else path + "/"


def api_operations() -> list[str]:
    """Every operation of the OpenAPI schema, as ``METHOD /path``."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def route_key(template: str, operations: list[str]) -> str | None:
    """The table key that covers a site pattern, or None when none does."""
    if template in SITE or template in ADMIN_SITE or template in API:
        return template
    admin_key = _admin_key(template)
    if admin_key is not None:
        return admin_key
    if template.startswith("api/v1/"):
        path = _api_path(template)
        if path == "/api/v1/":
            return "api/v1/"
        covering = [op for op in operations if op.split(" ", 1)[1] == path]
        if covering and all(op in API for op in covering):
            return covering[0]
    return None


def admin_actions() -> list[str]:
    """``app.model:action`` for every action of every registered ModelAdmin."""
    names = []
    for model, model_admin in admin.site._registry.items():
        for _func, name, _desc in model_admin._get_base_actions():
            names.append(f"{model._meta.label_lower}:{name}")
    return names


def action_rule(key: str) -> str | None:
    label, name = key.split(":")
    if name == "delete_selected":
        return _split(ADMIN_MODELS[label][3])[1] if label in ADMIN_MODELS else None
    return ADMIN_ACTIONS.get(key)


def unknown_routes(urlconf: str | None = None) -> list[str]:
    """Patterns, operations and actions the table says nothing about: each one is a route
    nobody decided the permissions of."""
    operations = api_operations()
    missing = [
        f"add {template} to tests/security/matrix.py"
        for template in site_patterns(urlconf)
        if route_key(template, operations) is None
    ]
    missing += [f"add {op} to tests/security/matrix.py (API)" for op in operations if op not in API]
    missing += [
        f"add the admin action {key} to tests/security/matrix.py"
        for key in admin_actions()
        if action_rule(key) is None
    ]
    missing += [
        f"add the admin of {model._meta.label_lower} to tests/security/matrix.py"
        for model in admin.site._registry
        if model._meta.label_lower not in ADMIN_MODELS
    ]
    return missing


# --- Filling the routes with the world's objects ------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One request to make: a route filled with one object (or none)."""

    key: str  # the table's key
    method: str  # "GET" or "POST"
    url: str
    rule: str
    obj: str | None  # the world's name for the object in the URL
    data: dict[str, Any] | None = None


def _pk(world: World, name: str, *, api: bool = False) -> Any:
    obj = world.obj(name)
    if api and isinstance(obj, InterviewerCalibration):
        return obj.interviewer_id  # the API names a calibration by its interviewer
    return obj.pk


class _Probes(list[Probe]):
    """The probes being collected, with the one way most routes are added."""

    def both(self, key: str, url: str, value: Any, obj: str | None = None) -> None:
        """A GET by the value's GET rule, and a POST by its POST rule when it has one."""
        get_rule, post_rule = _split(value)
        self.append(Probe(key, "GET", url, get_rule, obj))
        if value is not get_rule and not isinstance(value, str):
            self.append(Probe(key, "POST", url, post_rule, obj, {}))


def probes(world: World) -> list[Probe]:
    """Every route of the table, filled with the world's objects (admin object routes carry
    ``sample=False`` past their first fill: the admin turns away non-staff before any object
    is looked at, so one object is enough for them)."""
    out = _Probes()
    _site_probes(world, out)
    _admin_model_probes(world, out)
    _admin_site_probes(world, out)
    _admin_action_probes(world, out)
    _api_probes(world, out)
    return list(out)


def _site_probes(world: World, out: _Probes) -> None:
    for template, value in SITE.items():
        if "<id:pk>" not in template:
            out.both(template, "/" + template, value)
            continue
        kind = next(k for prefix, k in SITE_KINDS.items() if template.startswith(prefix))
        for name in FILLS[kind]:
            # An interviewer's analytics page is named by the person, as the API names them.
            by_person = kind == "scorecards.interviewercalibration"
            url = "/" + template.replace("<id:pk>", str(_pk(world, name, api=by_person)))
            out.both(template, url, value, name)


def _admin_model_probes(world: World, out: _Probes) -> None:
    for label, rules in ADMIN_MODELS.items():
        app, model = label.split(".")
        for view, value in zip(ADMIN_VIEWS, rules, strict=True):
            key = f"{label}:{view}"
            template = ADMIN_TEMPLATES[view].format(app=app, model=model)
            if "<path:object_id>" not in template:
                out.both(key, "/" + template, value)
                continue
            for name in FILLS[label]:
                url = "/" + template.replace("<path:object_id>", str(_pk(world, name)))
                get_rule, post_rule = _split(value)
                out.append(Probe(key, "GET", url, get_rule, name))
                post_data = {"post": "yes"} if view == "delete" else {}
                if view in ("change", "delete"):
                    out.append(Probe(key, "POST", url, post_rule, name, post_data))
        first = FILLS[label][0]
        out.append(
            Probe(
                "admin/<app>/<model>/<path:object_id>/",
                "GET",
                f"/admin/{app}/{model}/{_pk(world, first)}/",
                "recruiter_any",
                first,
            )
        )


def _admin_site_probes(world: World, out: _Probes) -> None:
    loop_ct = ContentType.objects.get_for_model(Loop).pk
    a1, olga = world.obj("a1").pk, world.users["olga"].pk
    fixed = {
        "admin/r/<path:content_type_id>/<path:object_id>/": f"/admin/r/{loop_ct}/{a1}/",
        "admin/<url>": "/admin/no-such-page/",
        "admin/hiring/user/<id>/password/": f"/admin/hiring/user/{olga}/password/",
    }
    for template, value in ADMIN_SITE.items():
        if template == "admin/<app>/<model>/<path:object_id>/":
            continue
        if template == "admin/<app_label>/":
            for app in ("hiring", "scorecards", "auth", "signin", "axes"):
                out.both(template, f"/admin/{app}/", value, app)
        elif template in fixed:
            out.both(template, fixed[template], value)
        elif "<int:object_id>" in template:
            kind, button = "hiring.candidate", ""
            if "/loop/" in template:
                kind, button = "hiring.loop", "nudge"
            if "/interview/" in template:
                kind, button = "hiring.interview", "cancel"
            for name in FILLS[kind]:
                url = "/" + template.replace("<int:object_id>", str(_pk(world, name)))
                out.both(template, url.replace("<str:button>", button), value, name)
        else:
            out.both(template, "/" + template, value)


def _admin_action_probes(world: World, out: _Probes) -> None:
    for key in admin_actions():
        label, name = key.split(":")
        rule = action_rule(key)
        if rule is None:
            continue  # unknown_routes names it
        app, model = label.split(".")
        for obj in ACTION_FILLS.get(label, FILLS[label]):
            data = {"action": name, "_selected_action": [str(_pk(world, obj))], "index": "0"}
            out.append(Probe(f"action {key}", "POST", f"/admin/{app}/{model}/", rule, obj, data))


def _body(method: str) -> dict[str, Any] | None:
    return {} if method == "POST" else None


def _api_probes(world: World, out: _Probes) -> None:
    for key, rule in API.items():
        if " " not in key:
            url = "/" + key.replace("<rest>", "no/such/thing/")
            out.append(Probe(key, "GET", url, rule, None))
            continue
        method, path = key.split(" ", 1)
        if "{" not in path:
            out.append(Probe(key, method, path, rule, None, _body(method)))
            continue
        kind = next(k for p, k in SITE_KINDS.items() if p.split("{")[0] == path.split("{")[0])
        for name in FILLS[kind]:
            url = re.sub(r"\{\w+\}", str(_pk(world, name, api=True)), path)
            out.append(Probe(key, method, url, rule, name, _body(method)))


# --- The rules -----------------------------------------------------------------------------


def _requisitions(obj: Any) -> set[int]:
    """The requisition(s) an object belongs to."""
    if isinstance(obj, Requisition):
        return {obj.pk}
    if isinstance(obj, Loop):
        return {obj.requisition_id}
    if isinstance(obj, Interview | Decision):
        return {obj.loop.requisition_id}
    if isinstance(obj, Candidate):
        return set(obj.loops.values_list("requisition_id", flat=True))
    if isinstance(obj, AuditEvent):
        return _requisitions(obj.candidate) if obj.candidate else set()
    if isinstance(obj, Attachment):
        return _requisitions(obj.candidate)
    if isinstance(obj, Notification):
        return {obj.requisition_id} if obj.requisition_id else set()
    if isinstance(obj, Scorecard):
        return {obj.interview.loop.requisition_id}
    if isinstance(obj, DimensionRating):
        return _requisitions(obj.revision.scorecard)
    if isinstance(obj, LoopSummary | DebriefComment | HireOutcome):
        return {obj.loop.requisition_id}
    if isinstance(obj, InterviewerCalibration):
        return set(
            Interview.objects.filter(interviewers=obj.interviewer_id).values_list(
                "loop__requisition_id", flat=True
            )
        )
    if isinstance(obj, RoleProfile):
        return set(obj.requisitions.values_list("pk", flat=True))
    if isinstance(obj, PlanSlot | TrainingRecord | SchedulingProfile):
        return _scheduling_requisitions(obj)
    if isinstance(obj, CalendarSource):  # as its owner's scheduling profile
        return _scheduling_requisitions(SchedulingProfile(user_id=obj.owner_id))
    return set()


def _scheduling_requisitions(obj: PlanSlot | TrainingRecord | SchedulingProfile) -> set[int]:
    """A plan slot's: the requisitions following its plan; a training record's: its slot's;
    a scheduling profile's: those whose panels, pools or training the person is in."""
    if isinstance(obj, PlanSlot):
        if obj.requisition_id:
            return {obj.requisition_id}
        return set(Requisition.objects.filter(profile=obj.profile_id).values_list("pk", flat=True))
    if isinstance(obj, TrainingRecord):
        return _scheduling_requisitions(obj.plan_slot)
    person = obj.user_id
    found = set(
        Interview.objects.filter(interviewers=person).values_list("loop__requisition_id", flat=True)
    )
    for slot in PlanSlot.objects.filter(Q(pool=person) | Q(training_records__person=person)):
        found |= _scheduling_requisitions(slot)
    return found


def _loop(obj: Any) -> Loop | None:
    if isinstance(obj, Loop):
        return obj
    if isinstance(obj, Interview | Decision | LoopSummary | DebriefComment):
        return obj.loop
    if isinstance(obj, Scorecard):
        return obj.interview.loop
    return None


def _recruits(user: User, obj: Any) -> bool:
    return Requisition.objects.filter(pk__in=_requisitions(obj), recruiters=user).exists()


def _manages(user: User, obj: Any) -> bool:
    return Requisition.objects.filter(pk__in=_requisitions(obj), hiring_manager=user).exists()


def owes(user: User, loop: Loop | None) -> bool:
    """Whether ``user`` sits on ``loop``'s panel and has not submitted for every seat."""
    if loop is None:
        return False
    seats = Interview.objects.filter(loop=loop, interviewers=user).exclude(
        status__in=Interview.NO_FEEDBACK_STATUSES
    )
    return any(
        not Scorecard.objects.filter(interview=seat, interviewer=user, status="submitted").exists()
        for seat in seats
    )


def _on_panel_of_loop(user: User, loop: Loop | None) -> bool:
    return loop is not None and Interview.objects.filter(loop=loop, interviewers=user).exists()


def _scorecard_reader(user: User, obj: Any) -> bool:
    if not isinstance(obj, Scorecard):
        return False
    if obj.interviewer_id == user.pk:
        return True
    if obj.status != "submitted":
        return False
    loop = obj.interview.loop
    if _on_panel_of_loop(user, loop):
        return not owes(user, loop) and loop.requisition.profile.colleagues_visible_after_submit
    return _recruits(user, obj) or _manages(user, obj)


@dataclass(frozen=True)
class Visitor:
    persona: str
    user: User | None
    granted_interview: int | None = None  # the magic link's interview


RuleFn = Callable[[Visitor, Any], bool]


def _signed_in(check: Callable[[User, Any], bool], *, superuser: bool = True) -> RuleFn:
    def rule(visitor: Visitor, obj: Any) -> bool:
        user = visitor.user
        if user is None:
            return False
        return (superuser and user.is_superuser) or check(user, obj)

    return rule


def _panel(visitor: Visitor, obj: Any) -> bool:
    if visitor.granted_interview is not None:
        return isinstance(obj, Interview) and obj.pk == visitor.granted_interview
    user = visitor.user
    return user is not None and obj.interviewers.filter(pk=user.pk).exists()


def _on_a_panel(user: User, obj: Any) -> bool:
    """On the panel of a loop of the object (a candidate, a loop, a requisition, a profile)."""
    seats = Interview.objects.filter(interviewers=user, loop__requisition__in=_requisitions(obj))
    if isinstance(obj, Candidate):
        seats = seats.filter(loop__candidate=obj)
    elif isinstance(obj, Loop):
        seats = seats.filter(loop=obj)
    return seats.exists()


def _attachment_reader(user: User, obj: Any) -> bool:
    """Staff of the candidate's requisitions, or on a panel of one of the candidate's loops."""
    return _staff(user, obj) or _on_a_panel(user, obj.candidate)


def _admin_app(user: User, obj: Any) -> bool:
    return user.is_staff and obj in ("hiring", "scorecards")


def _staff(user: User, obj: Any) -> bool:
    return _recruits(user, obj) or _manages(user, obj)


RULES: dict[str, RuleFn] = {
    "public": lambda visitor, obj: True,
    "nobody": lambda visitor, obj: False,
    "any_user": _signed_in(lambda user, obj: True),
    "superuser": _signed_in(lambda user, obj: False),
    "recruiter_any": _signed_in(lambda user, obj: user.is_staff),
    "admin_app": _signed_in(_admin_app),
    "recruiter_of_object": _signed_in(_recruits),
    "attachment_reader": _signed_in(_attachment_reader),
    "recruiter_or_recipient": _signed_in(
        lambda user, obj: _recruits(user, obj) or (user.is_staff and obj.recipient_id == user.pk)
    ),
    "recruiter_not_owing": _signed_in(
        lambda user, obj: _recruits(user, obj) and not owes(user, _loop(obj))
    ),
    "staff_of_object": _signed_in(_staff),
    "staff_any": _signed_in(
        lambda user, obj: Requisition.objects.filter(
            Q(hiring_manager=user) | Q(recruiters=user)
        ).exists()
    ),
    "staff_not_owing": _signed_in(
        lambda user, obj: _staff(user, obj) and not owes(user, _loop(obj))
    ),
    "staff_or_panel": _signed_in(lambda user, obj: _staff(user, obj) or _on_a_panel(user, obj)),
    "staff_or_interview_panel": _signed_in(
        lambda user, obj: _staff(user, obj) or obj.interviewers.filter(pk=user.pk).exists()
    ),
    "comment_author": _signed_in(
        lambda user, obj: (
            obj.author_id == user.pk
            and (user.is_superuser or (_staff(user, obj) and not owes(user, _loop(obj))))
        ),
        superuser=False,
    ),
    "decider": _signed_in(lambda user, obj: _manages(user, obj) and not owes(user, _loop(obj))),
    "panel": _panel,
    "panel_signed_in": lambda visitor, obj: visitor.user is not None and _panel(visitor, obj),
    "scorecard_reader": _signed_in(_scorecard_reader),
    # The page shows the current revision: a draft has none, even for a superuser.
    "scorecard_page_reader": lambda visitor, obj: (
        visitor.user is not None
        and (obj.status == "submitted" or obj.interviewer_id == visitor.user.pk)
        and (visitor.user.is_superuser or _scorecard_reader(visitor.user, obj))
    ),
    # A draft is its author's alone in the admin, a superuser's view included.
    "recruiter_scorecard_reader": _signed_in(
        lambda user, obj: (
            obj.status == "submitted"
            and (user.is_superuser or (_recruits(user, obj) and _scorecard_reader(user, obj)))
        ),
        superuser=False,
    ),
    "superuser_submitted": _signed_in(
        lambda user, obj: user.is_superuser and obj.status == "submitted", superuser=False
    ),
}


def allows(rule: str, visitor: Visitor, obj: Any) -> bool:
    return RULES[rule](visitor, obj)


# --- Judging answers -----------------------------------------------------------------------

LOGIN_PATHS = ("/login/", "/admin/login/")
REFUSED = {401, 403, 404, 405}


@dataclass(frozen=True)
class Answer:
    status: int
    location: str = ""
    attachment: bool = False


@dataclass(frozen=True)
class Violation:
    persona: str
    key: str
    method: str
    url: str
    problem: str

    def __str__(self) -> str:
        return f"{self.persona}: {self.method} {self.url} [{self.key}] {self.problem}"


def to_login(answer: Answer) -> bool:
    """A redirect to a sign-in page, or the admin's "does not exist" bounce to its index."""
    where = answer.location.split("?")[0]
    return answer.status in (301, 302) and (
        any(where.endswith(path) for path in LOGIN_PATHS) or where == "/admin/"
    )


def judge(probe: Probe, persona: str, allowed: bool, answer: Answer) -> Violation | None:
    """Whether one answer obeys the table."""
    refused = answer.status in REFUSED or to_login(answer)
    if probe.key == "admin/login/" and answer.status == 302:
        refused = False  # signed-in staff are sent on to the index
    if allowed and refused:
        return Violation(
            persona,
            probe.key,
            probe.method,
            probe.url,
            f"refused ({answer.status}) but the table allows it",
        )
    if not allowed and not refused:
        return Violation(
            persona,
            probe.key,
            probe.method,
            probe.url,
            f"answered {answer.status} {answer.location} but the table refuses it",
        )
    # /readyz answers 503 by design when a dependency is not ready (no worker runs here)
    not_ready = probe.key == "readyz" and answer.status == 503
    if allowed and answer.status >= 500 and not not_ready:
        return Violation(
            persona, probe.key, probe.method, probe.url, f"server error {answer.status}"
        )
    return None


def iter_objects(world: World) -> Iterator[tuple[str, Model]]:
    yield from world.objects.items()
