from django.urls import path

from . import views

app_name = "budgets"
urlpatterns = [
    path("", views.budget_list, name="list"),
    path("new/", views.budget_edit, name="create"),
    path("litellm/", views.litellm_settings, name="litellm"),
    path("<int:budget_id>/", views.budget_edit, name="edit"),
    path("<int:budget_id>/delete/", views.budget_delete_view, name="delete"),
    path("<int:budget_id>/enforce/", views.budget_enforce, name="enforce"),
    path("<int:budget_id>/release/", views.budget_release_view, name="release"),
]
