from django.urls import path

from . import focus_views, views

app_name = "reports"
urlpatterns = [
    path("", views.report_month, name="month"),
    path("export/", views.report_export, name="export"),
    path("export/focus/", focus_views.report_focus_export, name="export_focus"),
    path("close/", views.report_close, name="close"),
    path("reopen/", views.report_reopen, name="reopen"),
    path("<int:report_id>/download", views.report_download, name="download"),
    path("<int:report_id>/status", views.report_status, name="status"),
]
