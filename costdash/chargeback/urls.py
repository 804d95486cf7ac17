from django.urls import path

from . import views

app_name = "chargeback"
urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_edit, name="create"),
    path("<int:rule_id>/", views.rule_edit, name="edit"),
    path("<int:rule_id>/delete/", views.rule_delete, name="delete"),
]
