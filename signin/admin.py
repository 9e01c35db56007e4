"""Failed sign-ins and API tokens in the admin.

Failed sign-ins: who is locked out, until when, and an Unlock action.

Axes' own admin registers three models; Loopwise keeps only the attempts (the access and
failure logs are off, see AXES_DISABLE_ACCESS_LOG), with an action that says what deleting
an attempt does. Only people given axes' permissions see it: superusers, never the
Recruiters group (hiring.roles)."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from hiring import access
from hiring.admin.base import PolicyAdmin, request_user
from signin.models import ApiToken
from signin.tokens import token_revoke


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked"]
    list_filter = ["attempt_time"]
    actions = ["unlock"]

    @admin.display(description="Locked out")
    def locked(self, obj: AccessAttempt) -> str:
        """Until when, counted as axes counts: the cool-off runs from the latest failure."""
        until = obj.attempt_time + settings.AXES_COOLOFF_TIME
        if obj.failures_since_start < settings.AXES_FAILURE_LIMIT or until <= timezone.now():
            return "no"
        return f"until {date_format(timezone.localtime(until), 'DATETIME_FORMAT')}"

    @admin.action(description="Unlock: forget these failed sign-ins", permissions=["delete"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        # Axes counts the rows: once they are gone the person may sign in again at once.
        people = sorted({f"{a.username} from {a.ip_address}" for a in queryset})
        queryset.delete()
        self.message_user(request, f"Unlocked: {'; '.join(people)}.", messages.SUCCESS)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # written by axes only; viewing and deleting (unlocking) are what's left


@admin.register(ApiToken)
class ApiTokenAdmin(PolicyAdmin, admin.ModelAdmin):
    """Everyone's API tokens, for administrators (``hiring.access``): who holds which, what
    it may do, when it was last used, and a Revoke action. No secret is here to show: the
    row holds its digest only, and the form shows neither."""

    list_display = ["name", "owner", "prefix", "scope", "state", "created_at", "last_used_at",
                    "expires_at"]  # fmt: skip
    list_filter = ["scope", "revoked_at", "expires_at"]
    search_fields = ["name", "prefix", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    fields = ["owner", "name", "prefix", "scope", "created_at", "expires_at", "last_used_at",
              "revoked_at"]  # fmt: skip
    actions = ["revoke"]

    @admin.display(description="State")
    def state(self, obj: ApiToken) -> str:
        return obj.state()

    @admin.action(description="Revoke: these tokens stop working at once")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        user = request_user(request)
        revoked = [
            str(token)
            for token in queryset.select_related("owner")
            if access.can(user, "revoke", token) and token_revoke(token=token)
        ]
        if revoked:
            self.message_user(request, f"Revoked: {'; '.join(revoked)}.", messages.SUCCESS)
        else:
            self.message_user(request, "Nothing to revoke: already revoked.", messages.WARNING)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token is created where its secret can be shown once: /account/

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # revoked, never deleted: the owner sees what became of it


# Two-factor devices (django-otp) are set up, replaced and reset on /account/two-factor/
# (signin.two_factor), never edited here: the plugins' own admin pages would let an
# administrator read a secret or make a device for someone else.
def _otp_admin_off() -> None:
    from django_otp.plugins.otp_static import admin as _static_admin  # noqa: F401
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp import admin as _totp_admin  # noqa: F401
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_otp_admin_off()
