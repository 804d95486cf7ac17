from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_month, name="month"),
    path("export/", views.report_export, name="export"),
    path("<int:report_id>/download", views.report_download, name="download"),
    path("<int:report_id>/status", views.report_status, name="status"),
]
