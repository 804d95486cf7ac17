from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.plan_advice_page, name="advice"),
    path("developers/<int:pk>/", views.plan_developer_page, name="developer"),
]
