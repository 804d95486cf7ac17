from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from costdash.accounts import members_views, org_settings, password_reset
from costdash.ingest import files_api, push, receivers
from costdash.sso.forms import LoginForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *password_reset.urlpatterns,
    *members_views.urlpatterns,  # invite/<uid>/<token>/: an invited login chooses its password
    path("admin/", admin.site.urls),
    # OTLP/HTTP's standard paths, so an exporter's endpoint can be this site's root.
    path("v1/logs", receivers.otlp_logs, name="otlp_logs"),
    path("v1/metrics", receivers.otlp_metrics, name="otlp_metrics"),
    path("ingest/litellm", receivers.litellm_callback, name="litellm_callback"),
    path("ingest/transcripts", push.transcripts_push, name="transcripts_push"),
    path("ingest/files", files_api.files_import, name="files_import"),
    path("ingest/files/<int:batch_id>", files_api.files_import_status, name="files_import_status"),
    path("imports/", include("costdash.ingest.urls")),
    path("people/", include("costdash.accounts.urls")),
    path("settings/", org_settings.org_settings_page, name="org_settings"),
    path("prices/", include("costdash.pricing.urls")),
    path("sso/", include("costdash.sso.urls")),
    path("connectors/", include("costdash.connectors.urls")),
    path("limits/", include("costdash.limits.urls")),
    path("rate-limits/", include("costdash.ratelimits.urls")),
    path("budgets/", include("costdash.budgets.urls")),
    path("chargeback/", include("costdash.chargeback.urls")),
    path("plans/", include("costdash.planning.urls")),
    path("reports/", include("costdash.reports.urls")),
    path("alerts/", include("costdash.alerts.urls")),
    path("audit/", include("costdash.audit.urls")),
    path("api/", include("costdash.api.urls")),
    path("", include("costdash.ops.urls")),  # healthz/, readyz/, metrics: no login (costdash.ops.views)
    path("", include("costdash.dashboard.urls")),
]
# A refused page (PermissionDenied raised in a view, or a role check) is the site's own page, with the reason.
handler403 = "costdash.dashboard.views.forbidden.forbidden"
