from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

import config.ids  # noqa: F401  (registers <id:...>, used below)
from config import metrics
from hiring import attachments, booking_views, calendar_views
from hiring import views as hiring_views
from signin import oidc, two_factor_views
from signin import views as signin_views

urlpatterns = [
    path("healthz", hiring_views.healthz, name="healthz"),
    path("readyz", hiring_views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),  # METRICS_TOKEN or _ALLOWED_NETWORKS
    path("", hiring_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    # Signs out of Loopwise, then of the identity provider after a single sign-on.
    path("logout/", oidc.LogoutView.as_view(), name="logout"),
    path("oidc/start/", oidc.start, name="oidc_start"),
    path("oidc/callback/", oidc.callback, name="oidc_callback"),
    path("account/", signin_views.account, name="account"),
    path("account/tokens/revoke/", signin_views.revoke, name="account_token_revoke"),
    path(
        "account/sign-out-everywhere/",
        signin_views.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path("account/two-factor/", two_factor_views.manage, name="two_factor"),
    path("account/two-factor/verify/", two_factor_views.verify, name="two_factor_verify"),
    path("account/two-factor/reset/", two_factor_views.reset, name="two_factor_reset"),
    path("attachments/<id:pk>/", attachments.download, name="attachment_download"),
    path("interviews/calendar/", calendar_views.calendars, name="calendars"),
    path("book/<str:token>/", booking_views.book, name="booking"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("scim/v2/", include("signin.scim.urls")),  # provisioning: the IdP's token only
    path("", include("scorecards.urls")),
]

# A database that cannot be reached answers a clean 503 (JSON under /api/), not a 500.
handler500 = "config.errors.server_error"
