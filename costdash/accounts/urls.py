from django.urls import path

from . import members_views, views

app_name = "accounts"
urlpatterns = [
    path("unassigned/", views.unassigned, name="unassigned"),
    path("identities/<int:identity_id>/map/", views.identity_map, name="identity_map"),
    path("merge/", views.developer_merge, name="merge"),
    path("members/", members_views.member_list, name="members"),
    path("members/invite/", members_views.member_invite, name="member_invite"),
    path("members/<int:user_id>/role/", members_views.member_role, name="member_role"),
    path("members/<int:user_id>/developer/", members_views.member_developer, name="member_developer"),
    path("members/<int:user_id>/deactivate/", members_views.member_deactivate, name="member_deactivate"),
    path("members/<int:user_id>/reactivate/", members_views.member_reactivate, name="member_reactivate"),
    path("members/<int:user_id>/resend/", members_views.member_invite_resend, name="member_invite_resend"),
]
