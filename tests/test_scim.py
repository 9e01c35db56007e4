"""SCIM provisioning (issue 16, item 2): the requests Okta and Entra ID (Azure AD) send, as
they send them, against ``/scim/v2/``. A person created this way exists with the right role
and no password; deactivated (PATCH ``active=false`` in either provider's shape, DELETE, or
an administrator's save), their next request is refused through every door (session, API
token, e-mail link) while their submitted scorecards stay theirs."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from hiring.models import User
from hiring.roles import RECRUITERS_GROUP
from scorecards.magic_links import magic_link_url
from scorecards.models import Scorecard
from signin.models import ApiToken
from signin.oidc import Refused, user_for_claims
from tests.api.conftest import submit_scorecard
from tests.conftest import World
from tests.factories import UserFactory
from tests.tokens import api_client, bearer

# Also on SQLite (what `make run` uses): an identity provider may provision a small install.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

TOKEN = "scim-test-token-0123456789abcdefghijklmnopqrstuvwxyz"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class Scim:
    """The identity provider: sends SCIM JSON with its bearer token."""

    def __init__(self, token: str = TOKEN) -> None:
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.generic(
            method,
            f"/scim/v2/{path}",
            json.dumps(body) if body is not None else "",
            content_type="application/scim+json",
        )
        return response

    def get(self, path: str) -> Any:
        return self("GET", path)


@pytest.fixture
def scim(settings: Any) -> Scim:
    settings.SCIM_TOKEN_SHA256 = hashlib.sha256(TOKEN.encode()).hexdigest()
    return Scim()


def browser_of(user: User) -> Client:
    """A browser signed in as ``user``. How they signed in (the identity provider's OIDC
    sign-in is tested with it) does not matter here: a session is a session. The backend is
    named so the answer never depends on the order of AUTHENTICATION_BACKENDS."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


# The bodies Okta's and Entra ID's provisioning send (their documentation's samples).
OKTA_CREATE = {
    "schemas": [USER],
    "userName": "ada.lovelace@example.com",
    "name": {"givenName": "Ada", "familyName": "Lovelace"},
    "emails": [{"primary": True, "value": "ada.lovelace@example.com", "type": "work"}],
    "displayName": "Ada Lovelace",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}
ENTRA_CREATE = {
    "schemas": [USER, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@contoso.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "gn"},
    "roles": [],
    "timezone": "Europe/Paris",
    ENTERPRISE: {"department": "Hiring", "manager": {"value": "5"}},
}
OKTA_DEACTIVATE = patch({"op": "replace", "value": {"active": False}})
ENTRA_DEACTIVATE = patch({"op": "Replace", "path": "active", "value": "False"})


def created_user(scim: Scim, body: dict[str, Any]) -> tuple[User, dict[str, Any]]:
    response = scim("POST", "Users", body)
    assert response.status_code == 201, response.content
    data = response.json()
    return User.objects.get(pk=int(data["id"])), data


# --- The token -----------------------------------------------------------------------------------


def test_without_the_scim_token_every_endpoint_is_a_401_in_scims_words(scim, settings):
    su = UserFactory(username="root", is_superuser=True, is_staff=True)
    session = browser_of(su)
    wrong = Scim("not-the-token")
    api_token = Scim(bearer(su))  # even a superuser's own API token is not the SCIM token

    for client in (wrong, api_token):
        for method, path in (("GET", "Users"), ("POST", "Users"), ("GET", "Groups")):
            response = client(method, path, OKTA_CREATE if method == "POST" else None)
            assert response.status_code == 401
            assert response.json()["schemas"] == [ERROR]
            assert response["WWW-Authenticate"].startswith("Bearer")
    assert session.post("/scim/v2/Users", OKTA_CREATE, "application/json").status_code == 401
    assert session.get("/scim/v2/ServiceProviderConfig").status_code == 401
    assert not User.objects.filter(username=OKTA_CREATE["userName"]).exists()

    settings.SCIM_TOKEN_SHA256 = ""  # SCIM off: not even the right token opens it
    assert scim.get("Users").status_code == 401


# --- Creating ------------------------------------------------------------------------------------


def test_okta_creates_a_person_who_exists_without_a_password_and_can_sign_in(scim):
    assert (
        scim.get('Users?filter=userName+eq+"ada.lovelace@example.com"').json()["totalResults"] == 0
    )

    person, data = created_user(scim, OKTA_CREATE)

    assert (person.username, person.email) == ("ada.lovelace@example.com", OKTA_CREATE["userName"])
    assert (person.first_name, person.last_name, person.is_active) == ("Ada", "Lovelace", True)
    assert not person.is_staff
    assert not person.is_superuser
    assert not person.has_usable_password()  # the password Okta sent is not kept
    assert data["active"] is True
    assert data["emails"][0]["value"] == "ada.lovelace@example.com"
    found = scim.get('Users?filter=userName+eq+"Ada.Lovelace@example.com"').json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == data["id"]
    # signing in is the identity provider's (OIDC): once signed in, the pages open
    browser = browser_of(person)
    assert browser.get("/interviews/").status_code == 200
    # and Okta creating them again is told they exist
    again = scim("POST", "Users", OKTA_CREATE)
    assert again.status_code == 409
    assert again.json()["scimType"] == "uniqueness"


def test_the_identity_providers_sign_in_finds_the_account_scim_made(scim, settings):
    """SCIM and single sign-on meet at the e-mail address: the person Okta provisioned is
    the one who signs in through it (no second account), until SCIM deactivates them."""
    settings.OIDC_ROLE_MAP = {"Everyone": "interviewer"}
    person, _ = created_user(scim, OKTA_CREATE)
    claims = {
        "sub": "00ujl29u0le5T6Aj10h7",
        "email": "Ada.Lovelace@example.com",
        "email_verified": True,
        "groups": ["Everyone"],
    }

    assert user_for_claims(claims).pk == person.pk
    assert User.objects.filter(email__iexact="ada.lovelace@example.com").count() == 1
    deactivate_by_okta(scim, person)
    with pytest.raises(Refused, match="deactivated"):
        user_for_claims(claims)


def test_entra_id_creates_a_person_with_their_work_address_and_time_zone(scim):
    person, data = created_user(scim, ENTRA_CREATE)

    assert person.email == "Test_User_fd0ea19b@contoso.com"
    assert (person.first_name, person.last_name) == ("gn", "familyName")
    assert person.time_zone == "Europe/Paris"
    assert scim.get(f"Users/{data['id']}").json()["userName"] == ENTRA_CREATE["userName"]


def test_nothing_scim_sends_makes_anyone_staff_or_superuser(scim):
    body = {
        **OKTA_CREATE,
        "roles": [{"value": "superuser"}],
        "is_superuser": True,
        "is_staff": True,
        "groups": [{"value": str(Group.objects.get(name=RECRUITERS_GROUP).pk)}],
    }
    person, _ = created_user(scim, body)
    scim("PATCH", f"Users/{person.pk}", patch({"op": "add", "value": {"is_superuser": True}}))

    person.refresh_from_db()
    assert not person.is_superuser
    assert not person.is_staff
    assert not person.groups.exists()


def test_superusers_are_outside_scim(scim):
    admin = UserFactory(username="breakglass", is_superuser=True, is_staff=True)

    assert scim.get('Users?filter=userName+eq+"breakglass"').json()["totalResults"] == 0
    assert scim.get(f"Users/{admin.pk}").status_code == 404
    for method, body in (("PATCH", OKTA_DEACTIVATE), ("DELETE", None), ("PUT", OKTA_CREATE)):
        response = scim(method, f"Users/{admin.pk}", body)
        assert response.status_code == 404
        assert response.json()["schemas"] == [ERROR]
    admin.refresh_from_db()
    assert admin.is_active
    assert admin.username == "breakglass"


def test_okta_updates_names_and_address_with_a_put_and_a_patch(scim):
    person, data = created_user(scim, OKTA_CREATE)
    replaced = {**data, "name": {"givenName": "Augusta", "familyName": "King"}}
    assert scim("PUT", f"Users/{person.pk}", replaced).status_code == 200
    response = scim(
        "PATCH",
        f"Users/{person.pk}",
        patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ak@example.com"},
            {"op": "Add", "path": "title", "value": "Staff Engineer"},  # not kept: ignored
        ),
    )

    assert response.status_code == 200
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.email) == (
        "Augusta",
        "King",
        "ak@example.com",
    )


def test_bad_requests_get_scims_error_bodies_and_change_nothing(scim):
    person, _ = created_user(scim, OKTA_CREATE)
    cases = [
        ("PATCH", patch({"op": "replace", "path": "active", "value": "perhaps"}), "invalidValue"),
        ("PATCH", {"Operations": [{"op": "replace", "path": "active"}]}, "invalidSyntax"),
        ("PUT", {**OKTA_CREATE, "userName": "has space", "emails": []}, "invalidValue"),
    ]
    for method, body, scim_type in cases:
        response = scim(method, f"Users/{person.pk}", body)
        assert response.status_code == 400, body
        assert response.json()["scimType"] == scim_type
    assert scim.get('Users?filter=title+sw+"x"').json()["scimType"] == "invalidFilter"
    assert scim.get("Users/999999").status_code == 404
    person.refresh_from_db()
    assert person.is_active
    assert person.username == OKTA_CREATE["userName"]


# --- Deactivating --------------------------------------------------------------------------------


def deactivate_by_okta(scim: Scim, person: User) -> None:
    assert scim("PATCH", f"Users/{person.pk}", OKTA_DEACTIVATE).json()["active"] is False


def deactivate_by_entra(scim: Scim, person: User) -> None:
    assert scim("PATCH", f"Users/{person.pk}", ENTRA_DEACTIVATE).json()["active"] is False


def deactivate_by_delete(scim: Scim, person: User) -> None:
    assert scim("DELETE", f"Users/{person.pk}").status_code == 204
    assert scim.get(f"Users/{person.pk}").json()["active"] is False  # kept, not deleted


def deactivate_by_admin(scim: Scim, person: User) -> None:
    """An administrator unticks "Active" on the person's page in the admin and saves."""
    admin = browser_of(UserFactory(username="root", is_superuser=True, is_staff=True))
    url = f"/admin/hiring/user/{person.pk}/change/"
    form = admin.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for bound in form:  # the form as the page shows it, "Active" unticked
        value = bound.value()
        if bound.name == "is_active" or value in (None, False):
            continue
        if hasattr(bound.field.widget, "decompress"):  # date and time in two boxes
            for index, part in enumerate(bound.field.widget.decompress(value)):
                data[f"{bound.name}_{index}"] = part or ""
        elif value is True:
            data[bound.name] = "on"
        else:
            data[bound.name] = value
    response = admin.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


@pytest.mark.parametrize(
    "deactivate",
    [deactivate_by_okta, deactivate_by_entra, deactivate_by_delete, deactivate_by_admin],
    ids=["okta-patch", "entra-patch", "delete", "admin"],
)
def test_a_deactivated_person_is_refused_at_once_and_their_scorecards_stay(
    scim, world: World, interviewer, deactivate
):
    revision = submit_scorecard(world.interview, interviewer)
    link = urlsplit(magic_link_url(interview=world.interview, interviewer=interviewer))
    link_url = f"{link.path}?{link.query}"
    kit = f"/interviews/{world.interview.pk}/kit/"
    session = browser_of(interviewer)
    api = api_client(interviewer)
    granted = Client()  # opened their e-mail link earlier: holds a grant for the kit
    granted.get(link_url)
    assert session.get("/interviews/").status_code == 200
    assert api.get("/api/v1/interviews/").status_code == 200
    assert granted.get(kit).status_code == 200

    deactivate(scim, interviewer)

    response = session.get("/interviews/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert api.get("/api/v1/interviews/").status_code == 401
    # the token is revoked, not only refused while the account is inactive
    assert ApiToken.objects.filter(owner=interviewer, revoked_at__isnull=True).count() == 0
    assert granted.get(kit).status_code != 200
    assert Client().get(link_url).status_code == 403  # the link itself opens nothing now
    scorecard = Scorecard.objects.get(pk=revision.scorecard_id)
    assert (scorecard.status, scorecard.interviewer_id) == ("submitted", interviewer.pk)
    assert scorecard.revisions.count() == 1


def test_reactivating_lets_the_person_sign_in_again_but_brings_no_old_token_back(scim):
    person, _ = created_user(scim, OKTA_CREATE)
    old_token = api_client(person)
    assert old_token.get("/api/v1/interviews/").status_code == 200
    deactivate_by_okta(scim, person)
    scim("PATCH", f"Users/{person.pk}", patch({"op": "replace", "value": {"active": True}}))

    browser = browser_of(User.objects.get(pk=person.pk))
    assert browser.get("/interviews/").status_code == 200
    assert old_token.get("/api/v1/interviews/").status_code == 401
    assert api_client(User.objects.get(pk=person.pk)).get("/api/v1/interviews/").status_code == 200


# --- Groups --------------------------------------------------------------------------------------


def recruiters_group(scim: Scim) -> dict[str, Any]:
    found = scim.get('Groups?filter=displayName+eq+"Recruiters"').json()
    assert found["totalResults"] == 1
    group: dict[str, Any] = found["Resources"][0]
    return group


def test_okta_puts_a_person_in_and_out_of_the_recruiters(scim):
    person, _ = created_user(scim, OKTA_CREATE)
    group_id = recruiters_group(scim)["id"]
    browser = browser_of(person)

    added = scim(
        "PATCH",
        f"Groups/{group_id}",
        patch({"op": "add", "path": "members", "value": [{"value": str(person.pk)}]}),
    )

    assert added.status_code == 200
    assert [m["value"] for m in added.json()["members"]] == [str(person.pk)]
    person.refresh_from_db()
    assert person.is_staff
    assert person.groups.filter(name=RECRUITERS_GROUP).exists()
    assert browser.get("/interviews/").status_code == 302  # new rights: sign in again
    recruiter = browser_of(person)
    assert recruiter.get("/admin/").status_code == 200

    removed = scim(
        "PATCH",
        f"Groups/{group_id}",
        patch({"op": "remove", "path": f'members[value eq "{person.pk}"]'}),
    )

    assert removed.status_code == 200
    assert removed.json()["members"] == []
    person.refresh_from_db()
    assert not person.is_staff
    assert not person.groups.exists()
    assert recruiter.get("/admin/").status_code == 302


def test_entra_id_adds_and_removes_members_and_leaves_superusers_alone(scim):
    ada, _ = created_user(scim, OKTA_CREATE)
    gn, _ = created_user(scim, ENTRA_CREATE)
    admin = UserFactory(username="breakglass", is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    group_id = recruiters_group(scim)["id"]
    members = [{"value": str(ada.pk)}, {"value": str(gn.pk)}, {"value": str(admin.pk)}]

    scim("PATCH", f"Groups/{group_id}", patch({"op": "Add", "path": "members", "value": members}))
    listed = scim.get(f"Groups/{group_id}").json()["members"]
    assert {m["value"] for m in listed} == {str(ada.pk), str(gn.pk)}  # superusers not listed
    scim(
        "PATCH",
        f"Groups/{group_id}",
        patch({"op": "Remove", "path": "members", "value": [{"value": str(ada.pk)}]}),
    )
    scim("PATCH", f"Groups/{group_id}", patch({"op": "Remove", "path": "members"}))

    assert not ada.groups.exists()
    assert not gn.groups.exists()
    assert admin.groups.filter(name=RECRUITERS_GROUP).exists()  # never the IdP's to remove
    admin.refresh_from_db()
    assert admin.is_staff
    assert admin.is_superuser


def test_only_the_mapped_groups_exist_for_scim(scim, settings):
    Group.objects.create(name="Auditors")
    assert [g["displayName"] for g in scim.get("Groups").json()["Resources"]] == ["Recruiters"]
    settings.SCIM_GROUPS = {"Loopwise Recruiters": RECRUITERS_GROUP}
    names = [g["displayName"] for g in scim.get("Groups").json()["Resources"]]
    assert names == ["Loopwise Recruiters"]
    unknown = scim("PATCH", "Groups/999999", patch({"op": "add", "path": "members", "value": []}))
    assert unknown.status_code == 404
    assert scim("POST", "Groups", {"displayName": "Auditors"}).status_code == 501
    pushed = scim("POST", "Groups", {"schemas": [GROUP], "displayName": "loopwise recruiters"})
    assert pushed.status_code == 409  # Okta's group push then links to ours
    assert not Group.objects.filter(name__iexact="loopwise recruiters").exists()


def test_okta_replaces_the_members_with_a_put_and_entra_can_leave_them_out(scim):
    ada, _ = created_user(scim, OKTA_CREATE)
    gn, _ = created_user(scim, ENTRA_CREATE)
    group = recruiters_group(scim)
    scim(
        "PATCH",
        f"Groups/{group['id']}",
        patch({"op": "add", "path": "members", "value": [{"value": str(ada.pk)}]}),
    )

    response = scim(
        "PUT",
        f"Groups/{group['id']}",
        {"schemas": [GROUP], "displayName": "Recruiters", "members": [{"value": str(gn.pk)}]},
    )

    assert [m["value"] for m in response.json()["members"]] == [str(gn.pk)]
    assert User.objects.get(pk=gn.pk).is_staff
    assert not User.objects.get(pk=ada.pk).is_staff
    renamed = scim("PUT", f"Groups/{group['id']}", {"displayName": "Admins", "members": []})
    assert renamed.status_code == 400
    slim = scim.get('Groups?excludedAttributes=members&filter=displayName+eq+"Recruiters"')
    assert "members" not in slim.json()["Resources"][0]


def test_discovery_endpoints_answer_with_the_token(scim):
    config = scim.get("ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True
    assert config["bulk"]["supported"] is False
    types = {t["name"] for t in scim.get("ResourceTypes").json()["Resources"]}
    assert types == {"User", "Group"}
    schemas = {s["id"] for s in scim.get("Schemas").json()["Resources"]}
    assert USER in schemas
