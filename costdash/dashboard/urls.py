from django.urls import path

from .views import cache, model_mix, spend

app_name = "dashboard"
urlpatterns = [
    path("", spend.spend, name="spend"),
    path("cache/", cache.cache, name="cache"),
    path("models/", model_mix.models, name="models"),
]
