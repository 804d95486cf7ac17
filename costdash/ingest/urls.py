from django.urls import path

from . import views

app_name = "ingest"
urlpatterns = [
    path("", views.history, name="history"),
    path("upload/", views.upload, name="upload"),
    path("<int:batch_id>/", views.batch_detail, name="batch"),
]
