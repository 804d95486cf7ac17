from django.urls import path

from . import views

app_name = "ratelimits"
urlpatterns = [
    path("", views.rate_limits, name="page"),
    path("limits/", views.rate_limits_edit, name="edit"),
]
