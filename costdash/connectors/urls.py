from django.urls import path

from . import views

app_name = "connectors"
urlpatterns = [
    path("", views.connection_list, name="list"),
    path("new/", views.connection_edit, name="create"),
    path("<int:connection_id>/", views.connection_edit, name="edit"),
    path("<int:connection_id>/delete/", views.connection_delete, name="delete"),
    path("<int:connection_id>/pull/", views.connection_pull, name="pull"),
]
