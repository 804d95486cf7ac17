from django.urls import path

from . import project_names, views

app_name = "chargeback"
urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_edit, name="create"),
    path("<int:rule_id>/", views.rule_edit, name="edit"),
    path("<int:rule_id>/delete/", views.rule_delete, name="delete"),
    path("projects/", project_names.name_list, name="project_names"),
    path("projects/new/", project_names.name_edit, name="project_name_create"),
    path("projects/<int:alias_id>/", project_names.name_edit, name="project_name_edit"),
    path("projects/<int:alias_id>/delete/", project_names.name_delete, name="project_name_delete"),
]
