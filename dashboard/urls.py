from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/<slug:table>.<str:fmt>", views.export, name="export"),
    path("stats/", views.public_stats, name="stats"),
]
