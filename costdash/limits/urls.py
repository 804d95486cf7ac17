from django.urls import path

from . import views

app_name = "limits"
urlpatterns = [
    path("", views.limit_list, name="list"),
    path("new/", views.limit_edit, name="create"),
    path("<int:limit_id>/", views.limit_edit, name="edit"),
    path("<int:limit_id>/delete/", views.limit_delete, name="delete"),
]
