"""The person's own account page (``/account/``): their API tokens (create one and see it
once, list them, revoke one) and "sign out everywhere". Every signed-in person has it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from hiring import access
from hiring.errors import Invalid, add_to_form
from hiring.models import User
from signin import sessions
from signin.models import ApiToken
from signin.tokens import token_create, token_revoke


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What will use it, e.g. “ATS sync”."
    )
    scope = forms.ChoiceField(
        label="It may",
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Built per form, so the limits follow the settings in force.
        self.fields["days"] = forms.IntegerField(
            label="Expires after (days)",
            min_value=1,
            max_value=settings.API_TOKEN_MAX_DAYS,
            initial=settings.API_TOKEN_DAYS,
            help_text=f"At most {settings.API_TOKEN_MAX_DAYS}.",
        )


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@never_cache  # the page that shows a new token must never be kept by a cache
@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    form = TokenForm()
    created = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                created = token_create(owner=user, **form.cleaned_data)
            except Invalid as error:
                add_to_form(form, error)
            else:
                form = TokenForm()
    tokens = access.visible(user, ApiToken).filter(owner=user).order_by("-created_at", "-pk")
    return render(
        request,
        "signin/account.html",
        {
            "form": form,
            "created": created,
            "tokens": tokens,
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
            "max_hours": settings.SESSION_MAX_HOURS,
        },
        status=201 if created else 200,
    )


@login_required
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    token = (
        access.visible(user, ApiToken).filter(owner=user, pk=_id(request.POST.get("token"))).first()
    )
    if token is None:
        raise Http404
    access.check(user, "revoke", token)
    if token_revoke(token=token):
        messages.success(request, f"Revoked {token}: it stops working at once.")
    else:
        messages.info(request, f"{token} was already revoked.")
    return redirect("account")


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    ended = sessions.sign_out_everywhere(request)
    messages.success(
        request,
        f"Signed out everywhere ({ended} session{'s' if ended != 1 else ''}). "
        "Your API tokens still work: revoke them on your account page if they leaked.",
    )
    return redirect("login")


def _id(value: str | None) -> int:
    try:
        number = int(value or "")
    except ValueError:
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    return number
