from django.urls import path

from . import push, views

app_name = "ingest"
urlpatterns = [
    path("", views.history, name="history"),
    path("tokens/", views.tokens, name="tokens"),
    path("push/", push.transcript_push_page, name="push"),
    path("push/costdash_push.py", push.transcript_push_script, name="push_script"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("upload/", views.upload, name="upload"),
    path("<int:batch_id>/", views.batch_detail, name="batch"),
]
