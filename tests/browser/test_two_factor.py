"""Two-factor in a browser (issue 16, item 3): a recruiter, whose role requires it, signs in
with her password and is sent to set it up before the admin; she types the secret the page
shows into "her app" (the test computes the code from it), keeps her recovery codes, reaches
the admin, and at her next sign-in is asked for a code. axe checks each page, at 1280 px and
on a phone, under the server's strict Content-Security-Policy (the QR code is inline SVG)."""

from __future__ import annotations

import re
from base64 import b32decode
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from playwright.sync_api import expect

from hiring.roles import RECRUITERS_GROUP
from tests.browser.test_accessibility import Audit
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NO_SIDEWAYS_SCROLLING = (
    "document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
)


def password_sign_in(page: Any, base: str, username: str, then: str) -> None:
    page.goto(f"{base}/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()


def app_code(secret: str) -> str:
    text = secret.replace(" ", "")
    return f"{totp(b32decode(text + '=' * (-len(text) % 8))):06d}"


def test_a_recruiter_sets_up_two_factor_before_the_admin(
    csp_page: Any, live_server: Any, settings: Any
) -> None:
    settings.TWO_FACTOR_REQUIRED_FOR = ["superusers", "recruiters"]
    rita = UserFactory(username="rita", is_staff=True)
    rita.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    page, base = csp_page.page, live_server.url
    audit = Audit(page)

    password_sign_in(page, base, "rita", "/admin/")
    expect(page).to_have_url(re.compile(r"/account/two-factor/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    expect(page.get_by_text("Your role requires two-factor authentication")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to scan")).to_be_visible()
    audit.check("two-factor set-up")
    page.set_viewport_size({"width": 390, "height": 844})
    audit.check("two-factor set-up (390 px)")
    assert page.evaluate(NO_SIDEWAYS_SCROLLING)
    page.set_viewport_size({"width": 1280, "height": 900})

    # the admin stays shut until she has
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))

    secret = page.locator("#totp-secret").inner_text()
    wrong = f"{(int(app_code(secret)) + 1) % 1_000_000:06d}"
    page.get_by_label("Code from the app").fill(wrong)
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    audit.check("two-factor set-up (wrong code)")

    page.get_by_label("Code from the app").fill(app_code(secret))
    page.get_by_role("button", name="Turn on two-factor").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text().strip()
    audit.check("two-factor recovery codes")
    page.set_viewport_size({"width": 390, "height": 844})
    audit.check("two-factor recovery codes (390 px)")
    assert page.evaluate(NO_SIDEWAYS_SCROLLING)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page).to_have_url(f"{base}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    # the next password sign-in asks for a code; a recovery code works once
    page.get_by_role("button", name="Log out").click()
    password_sign_in(page, base, "rita", "/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your code")
    audit.check("two-factor code")
    page.get_by_label("Code").fill(recovery)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/admin/")
    expect(page.get_by_text("You used a recovery code: 9 left")).to_be_visible()

    audit.assert_clean()
    assert not csp_page.violations, csp_page.violations
