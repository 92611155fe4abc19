from django.contrib.auth import views as auth_views
from django.urls import path

from . import checkin

app_name = "checkin"

urlpatterns = [
    path("", checkin.home, name="home"),
    path("session/<int:session_id>/", checkin.session_list, name="session"),
    path("session/<int:session_id>/open-vial/", checkin.open_vial_view, name="open_vial"),
    path("session/<int:session_id>/standby/", checkin.call_standby_view, name="call_standby"),
    path("standby/<int:call_id>/", checkin.standby_view, name="standby"),
    path("appointment/<int:appointment_id>/", checkin.appointment_view, name="appointment"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="slots/checkin/login.html", redirect_authenticated_user=False
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(next_page="checkin:login"), name="logout"),
]
