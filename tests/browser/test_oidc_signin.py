"""Single sign-on in a browser (issue 16): a recruiter clicks "Sign in with Example SSO" on
Loopwise's sign-in page, signs in on the real OpenID Connect provider's own pages
(tests/oidc), lands in Loopwise with the recruiter role (the admin), and signing out of
Loopwise signs her out of the provider too and brings her back to Loopwise's sign-in page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hiring.models import User
from hiring.roles import RECRUITERS_GROUP
from tests.browser.test_accessibility import Audit
from tests.oidc import running_provider, settings_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_recruiter_signs_in_through_the_provider_and_out_of_both(
    csp_page, live_server, settings, screenshots
):
    page = csp_page.page
    base = live_server.url
    with running_provider([f"{base}/oidc/callback/"], [f"{base}/login/"]) as issuer:
        for name, value in settings_for(issuer).items():
            setattr(settings, name, value)

        page.goto(f"{base}/login/")
        Audit(page).check("sign-in page with the provider's button")
        page.get_by_role("link", name="Sign in with Example SSO").click()

        # The provider's own pages: its sign-in form, then its consent.
        page.wait_for_url(f"{issuer}/**")
        page.locator("input[name=login]").fill("rita")
        page.locator("input[name=password]").fill("her provider password")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()

        page.wait_for_url(f"{base}/")
        expect(page.get_by_role("button", name="Sign out Rita Recruiter")).to_be_visible()
        page.screenshot(path=str(screenshots / "oidc-signed-in.png"))
        rita = User.objects.get(email="rita@example.com")
        assert rita.groups.filter(name=RECRUITERS_GROUP).exists()
        assert rita.is_staff
        assert rita.time_zone == "Europe/Berlin"
        page.get_by_role("link", name="Admin").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

        page.goto(f"{base}/")
        page.get_by_role("button", name="Sign out Rita Recruiter").click()
        page.wait_for_url(f"{issuer}/**")  # the provider asks to confirm its own sign-out
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{base}/login/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.goto(f"{base}/account/")
        page.wait_for_url(f"{base}/login/?next=/account/")
        assert csp_page.violations == []
