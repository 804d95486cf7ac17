from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from costdash.audit import api as audit_api
from costdash.planning import api as planning
from costdash.ratelimits import api as ratelimits_api

from .views import alerts, budgets, focus, reports, spend, tokens

app_name = "api"
urlpatterns = [
    path("tokens/", tokens.api_tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", tokens.api_token_revoke_view, name="token_revoke"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: the start-up script is served as a file (docs/?script), as the Content-Security-Policy wants.
    path("docs/", login_required(SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="api/swagger_ui.html")), name="docs"),
    path("v1/daily-costs/", spend.DailyCostListApi.as_view(), name="daily_costs"),
    path("v1/developers/", spend.DeveloperListApi.as_view(), name="developers"),
    path("v1/developers/<int:pk>/", spend.DeveloperDetailApi.as_view(), name="developer"),
    path("v1/developers/<int:pk>/sessions/", spend.DeveloperSessionListApi.as_view(), name="developer_sessions"),
    path("v1/plans/", planning.PlanPriceListApi.as_view(), name="plan_prices"),
    path("v1/plans/advice/", planning.PlanAdviceApi.as_view(), name="plan_advice"),
    path("v1/plans/advice/developers/<int:pk>/", planning.PlanAdviceDeveloperApi.as_view(),
         name="plan_advice_developer"),
    path("v1/alerts/", alerts.AlertListApi.as_view(), name="alerts"),
    path("v1/alerts/<int:pk>/", alerts.AlertDetailApi.as_view(), name="alert"),
    path("v1/alerts/<int:pk>/acknowledge/", alerts.AlertAcknowledgeApi.as_view(), name="alert_acknowledge"),
    path("v1/budgets/", budgets.BudgetListApi.as_view(), name="budgets"),
    path("v1/budgets/mine/", budgets.MyBudgetsApi.as_view(), name="my_budgets"),
    path("v1/budgets/<int:pk>/", budgets.BudgetDetailApi.as_view(), name="budget"),
    path("v1/alert-rules/", alerts.AlertRuleListApi.as_view(), name="alert_rules"),
    path("v1/audit/", audit_api.AuditListApi.as_view(), name="audit"),
    path("v1/reports/", reports.ReportMonthListApi.as_view(), name="report_months"),
    path("v1/reports/files/<int:pk>/", reports.ReportFileApi.as_view(), name="report_file"),
    path("v1/reports/files/<int:pk>/download/", reports.ReportFileDownloadApi.as_view(), name="report_file_download"),
    path("v1/reports/<str:month>/", reports.ReportMonthApi.as_view(), name="report_month"),
    path("v1/reports/<str:month>/focus.csv", focus.ReportFocusCsvApi.as_view(), name="report_focus"),
    path("v1/reports/<str:month>/files/", reports.ReportFileListApi.as_view(), name="report_files"),
    path("v1/reports/<str:month>/close/", reports.ReportCloseApi.as_view(), name="report_close"),
    path("v1/reports/<str:month>/reopen/", reports.ReportReopenApi.as_view(), name="report_reopen"),
    path("v1/rate-limits/", ratelimits_api.RatePlanApi.as_view(), name="rate_limits"),
    path("v1/rate-limits/limits/", ratelimits_api.OrgRateLimitApi.as_view(), name="rate_limit_settings"),
]
