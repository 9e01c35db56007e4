"""SCIM's Users and Groups over Loopwise's accounts: how each is shown, found (``filter``),
created, replaced and patched. The HTTP side (the token, the error bodies) is ``views.py``."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from hiring.models import User
from hiring.roles import RECRUITERS_GROUP
from hiring.validators import validate_time_zone

log = logging.getLogger(__name__)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# ``attribute eq "value"``: the one filter identity providers send to find an account or a
# group before creating it (RFC 7644 §3.4.2.2). Anything richer is refused, not guessed at.
FILTER = re.compile(r'^\s*([A-Za-z][\w.:]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
# ``members[value eq "42"]``: Okta removes one member this way.
MEMBER_PATH = re.compile(r'^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$', re.IGNORECASE)
NAME_MAX = 150


class ScimError(Exception):
    """A request SCIM refuses: its HTTP status, the ``scimType`` (RFC 7644 §3.12) and why."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def _invalid(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


# --- Who SCIM manages ------------------------------------------------------------------------


def managed_users() -> QuerySet[User]:
    """Every account but the superusers': the break-glass administrators are not the identity
    provider's to list, change or deactivate."""
    return User.objects.filter(is_superuser=False)


def user_by_id(scim_id: str) -> User:
    if not scim_id.isdigit() or len(scim_id) > 18:
        raise ScimError(404, f"No user has the id {scim_id!r}.")
    found = managed_users().filter(pk=int(scim_id)).first()
    if found is None:
        raise ScimError(404, f"No user has the id {scim_id!r}.")
    return found


def group_names() -> dict[str, str]:
    """The identity provider's group names, each with the Loopwise group it is."""
    mapping: dict[str, str] = settings.SCIM_GROUPS
    return mapping


def managed_groups() -> list[tuple[str, Group]]:
    """(SCIM name, group) for every mapped group that exists, by name."""
    wanted = group_names()
    by_name = {g.name: g for g in Group.objects.filter(name__in=wanted.values())}
    return sorted(
        ((scim, by_name[local]) for scim, local in wanted.items() if local in by_name),
        key=lambda pair: pair[0].lower(),
    )


def group_by_id(scim_id: str) -> tuple[str, Group]:
    for scim_name, group in managed_groups():
        if str(group.pk) == scim_id:
            return scim_name, group
    raise ScimError(404, f"No group has the id {scim_id!r}.")


# --- Representations -------------------------------------------------------------------------


def user_resource(user: User, base_url: str) -> dict[str, Any]:
    local_to_scim = {local: scim for scim, local in group_names().items()}
    groups = [
        {"value": str(g.pk), "display": local_to_scim[g.name], "$ref": f"{base_url}/Groups/{g.pk}"}
        for g in user.groups.filter(name__in=local_to_scim).order_by("name")
    ]
    return {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "userName": user.username,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": user.get_full_name(),
        },
        "displayName": user.display_name,
        "emails": [{"value": user.email, "type": "work", "primary": True}] if user.email else [],
        "active": user.is_active,
        "timezone": user.time_zone,
        "groups": groups,
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "location": f"{base_url}/Users/{user.pk}",
        },
    }


def group_resource(
    scim_name: str, group: Group, base_url: str, *, members: bool = True
) -> dict[str, Any]:
    """``members``: False when the request said ``excludedAttributes=members`` (Entra ID
    asks so when it only wants the group's id)."""
    resource: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": str(group.pk),
        "displayName": scim_name,
        "meta": {"resourceType": "Group", "location": f"{base_url}/Groups/{group.pk}"},
    }
    if members:
        resource["members"] = [
            {"value": str(u.pk), "display": u.username, "$ref": f"{base_url}/Users/{u.pk}"}
            for u in managed_users().filter(groups=group).order_by("pk")
        ]
    return resource


# --- Finding -----------------------------------------------------------------------------------


def parse_filter(text: str) -> tuple[str, str]:
    """``userName eq "a@b.c"`` as (``username``, ``a@b.c``): attribute lower-cased."""
    match = FILTER.match(text)
    if match is None:
        raise ScimError(
            400, 'Only filters of the form attribute eq "value" are supported.', "invalidFilter"
        )
    return match[1].lower(), re.sub(r"\\(.)", r"\1", match[2])


def users_matching(filter_text: str | None) -> QuerySet[User]:
    users = managed_users().order_by("pk")
    if not filter_text:
        return users
    attribute, value = parse_filter(filter_text)
    if attribute == "username":
        return users.filter(username__iexact=value)
    if attribute in ("emails", "emails.value"):
        return users.filter(email__iexact=value)
    if attribute == "id":
        return users.filter(pk=int(value)) if value.isdigit() and len(value) < 19 else users.none()
    if attribute == "externalid":
        return users.none()  # not kept: identity providers match on userName
    raise ScimError(400, f"Users cannot be filtered by {attribute!r}.", "invalidFilter")


def groups_matching(filter_text: str | None) -> list[tuple[str, Group]]:
    groups = managed_groups()
    if not filter_text:
        return groups
    attribute, value = parse_filter(filter_text)
    if attribute == "displayname":
        return [(n, g) for n, g in groups if n.lower() == value.lower()]
    if attribute == "id":
        return [(n, g) for n, g in groups if str(g.pk) == value]
    if attribute == "externalid":
        return []
    raise ScimError(400, f"Groups cannot be filtered by {attribute!r}.", "invalidFilter")


# --- Users: writes -----------------------------------------------------------------------------


@dataclass
class UserDraft:
    """The attributes SCIM may set on an account, checked before anything is saved."""

    username: str
    email: str
    first_name: str = ""
    last_name: str = ""
    time_zone: str | None = None
    active: bool | None = None

    @classmethod
    def of(cls, user: User) -> UserDraft:
        return cls(
            username=user.username,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            time_zone=user.time_zone,
            active=user.is_active,
        )


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(f"{what} must be a string.")
    return value.strip()


def _boolean(value: Any) -> bool:
    """``true``/``false``, or the strings Entra ID sends (``"False"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _invalid("active must be true or false.")


def _primary_email(emails: Any) -> str:
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise _invalid("emails must be a list of objects with a value.")
    chosen = next((e for e in emails if e.get("primary") is True), emails[0] if emails else {})
    return _text(chosen.get("value"), "emails.value")


def _set(draft: UserDraft, attribute: str, value: Any) -> None:
    """One attribute (as a PATCH path or a top-level key) onto ``draft``; attributes
    Loopwise does not keep (addresses, titles, the enterprise extension ...) are ignored."""
    name = attribute.strip()
    key = name.lower()
    if key.startswith(USER_SCHEMA.lower() + ":"):
        key = key[len(USER_SCHEMA) + 1 :]
    if key == "active":
        draft.active = _boolean(value)
    elif key == "username":
        draft.username = _text(value, "userName")
    elif key == "name":
        if not isinstance(value, dict):
            raise _invalid("name must be an object.")
        draft.first_name = _text(value.get("givenName"), "name.givenName")
        draft.last_name = _text(value.get("familyName"), "name.familyName")
    elif key == "name.givenname":
        draft.first_name = _text(value, "name.givenName")
    elif key == "name.familyname":
        draft.last_name = _text(value, "name.familyName")
    elif key == "emails":
        draft.email = _primary_email(value if isinstance(value, list) else [value])
    elif key.startswith("emails[") and key.endswith("].value"):
        draft.email = _text(value, "emails.value")  # emails[type eq "work"].value (Entra ID)
    elif key == "timezone":
        zone = _text(value, "timezone")
        try:
            validate_time_zone(zone)
        except ValidationError:
            return  # not an IANA name: the person picks their zone on their account page
        draft.time_zone = zone


def draft_from_resource(body: dict[str, Any], *, start: UserDraft | None = None) -> UserDraft:
    """A whole User resource (POST, PUT) as a draft: what it leaves out is cleared, except
    ``active`` (kept) and the e-mail (taken from ``userName`` when that is an address)."""
    draft = start or UserDraft(username="", email="")
    draft.first_name = draft.last_name = ""
    for key in ("userName", "name", "emails", "active", "timezone"):
        if key in body:
            _set(draft, key, body[key])
    return draft


def _clean(draft: UserDraft, *, current: User | None) -> None:
    if not draft.username:
        raise _invalid("userName is required.")
    if len(draft.username) > NAME_MAX:
        raise _invalid(f"userName is at most {NAME_MAX} characters.")
    try:
        UnicodeUsernameValidator()(draft.username)
    except ValidationError:
        raise _invalid("userName may hold letters, digits and @ . + - _ only.") from None
    if not draft.email and "@" in draft.username:
        draft.email = draft.username
    try:
        validate_email(draft.email)
    except ValidationError:
        raise _invalid("A work e-mail address is required (emails).") from None
    draft.first_name = draft.first_name[:NAME_MAX]
    draft.last_name = draft.last_name[:NAME_MAX]
    others = User.objects.exclude(pk=current.pk) if current else User.objects.all()
    if others.filter(username__iexact=draft.username).exists():
        raise ScimError(409, f"The userName {draft.username!r} is taken.", "uniqueness")
    if others.filter(email__iexact=draft.email).exists():
        raise ScimError(409, f"The e-mail address {draft.email!r} is taken.", "uniqueness")


def _apply(user: User, draft: UserDraft) -> None:
    user.username = draft.username
    user.email = draft.email
    user.first_name = draft.first_name
    user.last_name = draft.last_name
    if draft.time_zone:
        user.time_zone = draft.time_zone
    if draft.active is not None:
        user.is_active = draft.active


@transaction.atomic
def user_create(body: dict[str, Any]) -> User:
    """A new account with no password (it signs in through the identity provider), never
    staff or superuser, whatever the body says."""
    draft = draft_from_resource(body)
    _clean(draft, current=None)
    user = User(is_staff=False, is_superuser=False)
    _apply(user, draft)
    user.set_unusable_password()
    _save_unique(user)
    log.info("SCIM created user %s (%s)", user.pk, user.username)
    return user


def _locked(user: User) -> User:
    return managed_users().select_for_update().get(pk=user.pk)


@transaction.atomic
def user_replace(user: User, body: dict[str, Any]) -> User:
    user = _locked(user)
    draft = draft_from_resource(body, start=UserDraft.of(user))
    _clean(draft, current=user)
    _save(user, draft)
    return user


@transaction.atomic
def user_patch(user: User, body: dict[str, Any]) -> User:
    """RFC 7644 §3.5.2, as Okta and Entra ID send it: ``replace``/``add`` with a path, or
    with no path and an object of attributes (``{"active": false}``); ``remove`` clears a
    name. The operations are checked together and saved once."""
    user = _locked(user)
    draft = UserDraft.of(user)
    for op, path, value in _operations(body):
        if op == "remove":
            if path is None or path.lower() not in ("name.givenname", "name.familyname"):
                raise ScimError(400, f"{path or 'That'} cannot be removed.", "mutability")
            _set(draft, path, "")
        elif path is None:
            if not isinstance(value, dict):
                raise ScimError(400, "An operation without a path needs an object.", "invalidValue")
            for attribute, item in value.items():
                _set(draft, attribute, item)
        else:
            _set(draft, path, value)
    _clean(draft, current=user)
    _save(user, draft)
    return user


def _save(user: User, draft: UserDraft) -> None:
    was_active = user.is_active
    _apply(user, draft)
    # A plain save: the sign-in app's privilege signals end every session of a person whose
    # ``is_active`` changed (signin.sessions), so a deactivation is felt at the next request.
    _save_unique(user)
    if was_active and not user.is_active:
        log.info("SCIM deactivated user %s (%s)", user.pk, user.username)


def _save_unique(user: User) -> None:
    """Save, turning a clash the checks above lost to a concurrent request into SCIM's 409."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ScimError(409, "The userName or e-mail address is taken.", "uniqueness") from None


@transaction.atomic
def user_deactivate(user: User) -> None:
    """SCIM's DELETE: the account stays (its scorecards keep their author) but cannot sign in."""
    user = _locked(user)
    if user.is_active:
        user.is_active = False
        user.save()
        log.info("SCIM deactivated user %s (%s)", user.pk, user.username)


def _operations(body: dict[str, Any]) -> Iterable[tuple[str, str | None, Any]]:
    if PATCH_SCHEMA not in (body.get("schemas") or []):
        raise ScimError(400, f"A PATCH names the schema {PATCH_SCHEMA}.", "invalidSyntax")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PATCH carries a list of Operations.", "invalidSyntax")
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation is an object.", "invalidSyntax")
        op = str(operation.get("op", "")).lower()  # Entra ID writes "Replace", "Add"
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, f"Unknown operation {operation.get('op')!r}.", "invalidSyntax")
        path = operation.get("path")
        if path is not None and not isinstance(path, str):
            raise ScimError(400, "path must be a string.", "invalidPath")
        yield op, (path.strip() or None) if path else None, operation.get("value")


# --- Groups: membership ------------------------------------------------------------------------


def _member_ids(value: Any) -> set[int]:
    items = value if isinstance(value, list) else [value]
    ids: set[int] = set()
    for item in items:
        raw = item.get("value") if isinstance(item, dict) else None
        if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 18:
            raise _invalid("Each member is an object with the value of a user's id.")
        ids.add(int(raw))
    return ids


def _users(ids: set[int]) -> list[User]:
    """The accounts ``ids`` name; superusers are left out (SCIM does not manage them), and an
    id that names nobody is refused, so a typo never passes as done."""
    found = list(User.objects.filter(pk__in=ids))
    unknown = ids - {u.pk for u in found}
    if unknown:
        raise _invalid(f"No user has the id {', '.join(str(i) for i in sorted(unknown))}.")
    return [u for u in found if not u.is_superuser]


@transaction.atomic
def group_patch(scim_name: str, group: Group, body: dict[str, Any]) -> None:
    """Members added (``add``, or ``replace`` with a list), removed (``members[value eq
    "id"]``, or ``members`` with a list, or all) and set. Joining or leaving the Recruiters
    group makes the person staff or not; their sessions end either way (signin.sessions),
    so the new rights start with a fresh sign-in."""
    changed: set[int] = set()
    for op, path, value in _operations(body):
        if path is None and isinstance(value, dict):
            # Okta's rename shape: {"op": "replace", "value": {"id": ..., "displayName": ...}}
            name = value.get("displayName")
            if name is not None and name != scim_name:
                raise ScimError(400, "Group names are set by Loopwise's SCIM_GROUPS.", "mutability")
            if "members" not in value:
                continue
            path, value = "members", value["members"]
        if path is None:
            raise ScimError(400, "A group's operation names members.", "invalidPath")
        one = MEMBER_PATH.match(path)
        if one is not None and op == "remove":
            changed |= _remove(group, _users(_member_ids([{"value": one[1]}])))
        elif path.lower() != "members":
            if path.lower() == "displayname" and value == scim_name:
                continue
            raise ScimError(400, f"{path!r} cannot be changed here.", "invalidPath")
        elif op == "add":
            people = _users(_member_ids(value))
            group.user_set.add(*people)
            changed |= {u.pk for u in people}
        elif op == "remove":
            if value is None:  # every member the identity provider manages
                changed |= _remove(group, list(managed_users().filter(groups=group)))
            else:
                changed |= _remove(group, _users(_member_ids(value)))
        else:  # replace: exactly these (superusers keep their membership)
            people = _users(_member_ids(value or []))
            leaving = managed_users().filter(groups=group).exclude(pk__in=[u.pk for u in people])
            changed |= _remove(group, list(leaving))
            group.user_set.add(*people)
            changed |= {u.pk for u in people}
    if group.name == RECRUITERS_GROUP and changed:
        _follow_recruiters(changed)
    log.info("SCIM changed the members of %s: %s", scim_name, sorted(changed))


def group_replace(scim_name: str, group: Group, body: dict[str, Any]) -> None:
    """A whole Group (PUT, as some Okta integrations send): its name must stay, its members
    become exactly those listed."""
    name = body.get("displayName")
    if name is not None and name != scim_name:
        raise ScimError(400, "Group names are set by Loopwise's SCIM_GROUPS.", "mutability")
    operation = {"op": "replace", "path": "members", "value": body.get("members") or []}
    group_patch(scim_name, group, {"schemas": [PATCH_SCHEMA], "Operations": [operation]})


def _remove(group: Group, people: list[User]) -> set[int]:
    group.user_set.remove(*people)
    return {u.pk for u in people}


def _follow_recruiters(user_ids: set[int]) -> None:
    """Recruiters work in the admin, so the group's members are staff and nobody else the
    identity provider manages is."""
    for user in managed_users().filter(pk__in=user_ids):
        recruiter = user.groups.filter(name=RECRUITERS_GROUP).exists()
        if user.is_staff != recruiter:
            user.is_staff = recruiter
            user.save(update_fields=["is_staff"])
