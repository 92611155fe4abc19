from django.urls import path

from . import views

app_name = "registrations"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/code/again/", views.resend_code, name="resend_code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("my/", views.account, name="account"),
    path("my/add/", views.add_person, name="add_person"),
    path("my/<str:reference>/", views.person, name="person"),
    path("my/<str:reference>/slip/", views.slip, name="slip"),
    path("my/<str:reference>/cancel/", views.cancel, name="cancel"),
    path("my/<str:reference>/resume/", views.resume, name="resume"),
    path("my/<str:reference>/withdraw/", views.withdraw, name="withdraw"),
]
