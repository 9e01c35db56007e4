"""The account page in a browser (issue 16): a person creates an API token and sees it once,
it works against the running server, it is gone from the page on the next visit, they revoke
it, and they sign out everywhere. axe checks each state, at 1280 px and on a phone."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import Audit
from tests.browser.test_manager_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NO_SIDEWAYS_SCROLLING = (
    "document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
)


def api_status(base: str, token: str) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/interviews/", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_token_is_created_shown_once_used_and_revoked(csp_page, live_server, world, interviewer):
    page = csp_page.page
    base = live_server.url
    audit = Audit(page)
    sign_in(page, base, interviewer.username)

    page.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    audit.check("account (no tokens)")

    page.get_by_label("Name").fill("Nightly export")
    page.get_by_label("Read only").check()
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_role("textbox", name="Your token")
    expect(shown).to_be_visible()
    token = shown.input_value().strip()
    audit.check("account (token shown once)")
    page.set_viewport_size({"width": 390, "height": 844})
    audit.check("account (token shown once, 390 px)")
    assert page.evaluate(NO_SIDEWAYS_SCROLLING)  # the whole token fits a phone
    page.set_viewport_size({"width": 1280, "height": 900})

    assert api_status(base, token) == 200

    page.goto(f"{base}/account/")
    expect(page.get_by_role("cell", name="Nightly export", exact=True)).to_be_visible()
    assert token not in page.content()
    page.get_by_role("button", name="Revoke Nightly export").click()
    expect(page.get_by_text("stops working at once")).to_be_visible()
    audit.check("account (revoked)")
    assert api_status(base, token) == 401

    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(f"{base}/account/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()  # signed out

    audit.assert_clean()
