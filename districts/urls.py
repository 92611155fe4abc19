from django.urls import path

from . import views

app_name = "districts"

urlpatterns = [
    path("areas/", views.areas, name="areas"),
    path("localities/", views.localities, name="localities"),
]
