"""``{% oidc_button %}``: the "Sign in with <provider>" button of the sign-in pages, shown only
when single sign-on is configured (``signin.oidc``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

from signin import oidc

register = template.Library()


@register.inclusion_tag("signin/oidc_button.html")
def oidc_button(next_url: str = "") -> dict[str, Any]:
    url = reverse("oidc_start")
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return {
        "configured": oidc.configured(),
        "provider_name": oidc.provider_name(),
        "url": url,
        "password_login": settings.LOCAL_PASSWORD_LOGIN,
    }
