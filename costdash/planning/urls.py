from django.urls import path

from . import price_views, views

app_name = "planning"
urlpatterns = [
    path("", views.plan_advice_page, name="advice"),
    path("developers/<int:pk>/", views.plan_developer_page, name="developer"),
    path("prices/", price_views.plan_price_list, name="prices"),
    path("prices/new/", price_views.plan_price_create, name="price_create"),
    path("prices/<int:price_id>/delete/", price_views.plan_price_remove, name="price_delete"),
]
