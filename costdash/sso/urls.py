from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("login/", views.SsoStartView.as_view(), name="start"),
    path("callback/", views.SsoCallbackView.as_view(), name="callback"),
    path("roles/", views.mappings, name="mappings"),
    path("roles/<int:mapping_id>/", views.mapping_update, name="mapping_update"),
    path("roles/<int:mapping_id>/delete/", views.mapping_delete, name="mapping_delete"),
]
