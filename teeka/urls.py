from django.contrib import admin
from django.urls import include, path

from . import metrics, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("checkin/", include("slots.checkin_urls")),
    path("", include("slots.urls")),
    path("", include("registrations.urls")),
    path("places/", include("districts.urls")),
    path("", include("dashboard.urls")),
    path("help/", include("helpdesk.urls")),
]

# The 500 page is rendered without the database or the request's context
# processors (either may be what failed); the 404 page is an ordinary page.
handler500 = "teeka.views.server_error"
