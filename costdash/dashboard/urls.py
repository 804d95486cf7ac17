from django.urls import path

from .views import cache, developers, home, model_mix, projects, sessions

app_name = "dashboard"
urlpatterns = [
    path("", home.home, name="overview"),  # the Overview, or a developer's own today
    path("developers/", developers.developer_list, name="developers"),
    path("developers/<int:pk>/", developers.developer_detail, name="developer"),
    path("cache/", cache.cache, name="cache"),
    path("models/", model_mix.models, name="models"),
    path("sessions/", sessions.session_list, name="sessions"),
    # <path:>: a session id is whatever its source sent (a slash included); reverse() quotes it.
    path("sessions/<path:session_id>/", sessions.session_detail, name="session"),
    path("projects/", projects.project_list, name="projects"),
]
