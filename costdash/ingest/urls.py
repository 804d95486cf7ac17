from django.urls import path

from . import views

app_name = "ingest"
urlpatterns = [
    path("", views.history, name="history"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("upload/", views.upload, name="upload"),
    path("<int:batch_id>/", views.batch_detail, name="batch"),
]
