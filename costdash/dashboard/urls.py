from django.urls import path

from .views import spend

app_name = "dashboard"
urlpatterns = [
    path("", spend.spend, name="spend"),
]
