"""The two-factor pages (signin.two_factor): set up and manage one's own on
``/account/two-factor/``, the code asked after a password sign-in, and a superuser's reset of
someone else's."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hiring.models import User
from signin import two_factor
from signin.two_factor import Checked


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The six digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )


class AppCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=10,
        help_text="The six digits your authenticator app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class ResetForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _refused(form: forms.Form, checked: Checked) -> None:
    if checked.locked_until is not None:
        form.add_error(
            "code",
            "Too many wrong codes: wait a little and try again "
            f"(after {checked.locked_until:%H:%M:%S} UTC).",
        )
    else:
        form.add_error("code", "That code is not right, or was already used.")


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@never_cache  # the page shows a secret and, once, recovery codes
@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    if two_factor.step_needed(request) == "verify":
        return redirect(f"{reverse('two_factor_verify')}?next={reverse('two_factor')}")
    action = request.POST.get("action", "")
    device = two_factor.app_device(user)
    context: dict[str, object] = {
        "required": two_factor.is_required(user),
        "next": _next(request) if request.GET.get("next") or request.POST.get("next") else "",
    }
    if device is None:
        enrol = AppCodeForm(request.POST if action == "enrol" else None)
        if action == "enrol" and enrol.is_valid():
            codes = two_factor.enrol_confirm(
                request=request, user=user, code=enrol.cleaned_data["code"]
            )
            if codes is not None:
                context |= {"codes": codes, "enrolled_now": True}
                return render(request, "signin/two_factor.html", context, status=201)
            _refused(enrol, Checked(None))
        pending = two_factor.pending_device(request, user)
        context |= {
            "form": enrol,
            "qr": two_factor.qr_svg(pending),
            "secret": two_factor.secret_of(pending),
        }
        return render(request, "signin/two_factor.html", context)

    form = CodeForm(request.POST if action in ("codes", "disable") else None)
    if action in ("codes", "disable") and form.is_valid():
        checked = two_factor.code_check(user=user, code=form.cleaned_data["code"])
        if checked.device is None:
            _refused(form, checked)
        elif action == "codes":
            context["codes"] = two_factor.recovery_codes_create(user=user)
            return render(request, "signin/two_factor.html", context, status=201)
        else:
            two_factor.two_factor_disable(user=user)
            two_factor.step_owed(request)
            if context["required"]:
                messages.info(request, "Two-factor is off: your role needs it, so set it up again.")
            else:
                messages.success(request, "Two-factor is off: your password alone signs you in.")
            return redirect("two_factor")
    context |= {
        "device": device,
        "form": form,
        "recovery_left": two_factor.recovery_codes_left(user),
    }
    return render(request, "signin/two_factor.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step after a password sign-in."""
    user = _me(request)
    if two_factor.step_needed(request) != "verify":
        return HttpResponseRedirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = two_factor.code_check(user=user, code=form.cleaned_data["code"])
        if checked.device is not None:
            two_factor.session_verify(request, checked.device)
            left = two_factor.recovery_codes_left(user)
            if not form.cleaned_data["code"].strip().isdigit():
                messages.warning(
                    request,
                    f"You used a recovery code: {left} left. Make new ones on your "
                    "two-factor page if you are running low.",
                )
            return HttpResponseRedirect(_next(request))
        _refused(form, checked)
    return render(
        request,
        "signin/two_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    """A superuser turns off someone's two-factor (a lost phone): they enrol again."""
    me = _me(request)
    if not me.is_superuser:
        raise PermissionDenied
    # The admin's user page links here with ?username= (a GET only fills the form in).
    form = ResetForm(request.POST or None, initial={"username": request.GET.get("username", "")})
    if request.method == "POST" and form.is_valid():
        person = User.objects.filter(username=form.cleaned_data["username"]).first()
        if person is None:
            form.add_error("username", "Nobody has that username.")
        else:
            two_factor.two_factor_reset(user=person, by=me)
            messages.success(
                request,
                f"Reset {person.get_username()}'s two-factor authentication: their sessions "
                "ended, and they set it up again at their next sign-in.",
            )
            if person.pk == me.pk:
                return redirect("login")
            return redirect("two_factor_reset")
    return render(request, "signin/two_factor_reset.html", {"form": form})
