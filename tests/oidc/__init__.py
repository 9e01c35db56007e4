"""A real OpenID Connect provider for the single sign-on tests: panva's ``oidc-provider`` (npm,
pinned in package-lock.json here) run by the machine's Node on loopback (``provider.mjs``).

``running_provider(redirect_uris, post_logout_redirect_uris)`` starts one and yields its
issuer; ``sign_in_at_provider`` walks its own sign-in and consent pages with ``requests``,
as a browser would, and returns the address it sends the browser back to (Loopwise's
callback, with the code), for tests that drive Loopwise with Django's test client.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "loopwise"
CLIENT_SECRET = "test-only-client-secret-0123456789"
# The provider's people (provider.mjs) are in this domain; eve is not.
DOMAIN = "example.com"
ROLE_MAP = {
    "loopwise-recruiters": "recruiter",
    "loopwise-hiring-managers": "hiring_manager",
    "loopwise-interviewers": "interviewer",
}


def _install() -> None:
    if not (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)


@contextmanager
def running_provider(redirect_uris: list[str], post_logout_uris: list[str]) -> Iterator[str]:
    _install()
    process = subprocess.Popen(
        ["node", str(HERE / "provider.mjs")],
        cwd=HERE,
        env={
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "NODE_ENV": "test",
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
            "OIDC_POST_LOGOUT_REDIRECT_URIS": ",".join(post_logout_uris),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until it listens (or exits: "")
        if not line.startswith("READY "):
            raise RuntimeError(f"the test OpenID Connect provider did not start: {line!r}")
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def settings_for(issuer: str) -> dict[str, object]:
    """The Loopwise settings of the README's "tested values for the local provider"."""
    return {
        "OIDC_RP_CLIENT_ID": CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_OP_DISCOVERY_URL": f"{issuer}/.well-known/openid-configuration",
        "OIDC_PROVIDER_NAME": "Example SSO",
        "OIDC_ROLE_CLAIM": "groups",
        "OIDC_ROLE_MAP": dict(ROLE_MAP),
        "OIDC_ALLOWED_EMAIL_DOMAINS": [DOMAIN],
    }


def _form(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, html
    fields = dict(re.findall(r'<input[^>]*type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return unescape(action.group(1)), fields


def sign_in_at_provider(
    browser: requests.Session, authorize_url: str, login: str, callback_prefix: str
) -> str:
    """Follows the provider's pages from ``authorize_url``: its sign-in form (as ``login``),
    its consent form, until it redirects to ``callback_prefix``; that address."""
    url = authorize_url
    for _ in range(12):
        response = browser.get(url, allow_redirects=False, timeout=10)
        while response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(callback_prefix):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
        action, fields = _form(response.text)
        if fields.get("prompt") == "login":
            fields |= {"login": login, "password": "any password"}
        response = browser.post(
            urljoin(url, action), data=fields, allow_redirects=False, timeout=10
        )
        assert response.is_redirect, response.text
        url = urljoin(url, response.headers["Location"])
        if url.startswith(callback_prefix):
            return url
    raise AssertionError("the provider never sent the browser back")
