from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("unassigned/", views.unassigned, name="unassigned"),
    path("identities/<int:identity_id>/map/", views.identity_map, name="identity_map"),
    path("merge/", views.developer_merge, name="merge"),
]
