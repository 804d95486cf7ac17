from django.urls import path

from . import views

app_name = "pricing"
urlpatterns = [
    path("", views.price_list, name="list"),
    path("new/", views.price_edit, name="create"),
    path("<int:price_id>/", views.price_edit, name="edit"),
    path("<int:price_id>/delete/", views.price_delete, name="delete"),
]
