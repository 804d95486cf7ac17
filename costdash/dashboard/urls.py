from django.urls import path

from .views import cache, developers, model_mix, overview, projects

app_name = "dashboard"
urlpatterns = [
    path("", overview.overview, name="overview"),
    path("developers/", developers.developer_list, name="developers"),
    path("developers/<int:pk>/", developers.developer_detail, name="developer"),
    path("cache/", cache.cache, name="cache"),
    path("models/", model_mix.models, name="models"),
    path("projects/", projects.project_list, name="projects"),
]
