from django.urls import path

from . import views

app_name = "helpdesk"
urlpatterns = [
    path("", views.help_home, name="home"),
    path("new/", views.new_ticket, name="new"),
    path("new/done/", views.ticket_raised, name="raised"),
    path("status/", views.status, name="status"),
    path("status/code/", views.status_code, name="code"),
    path("tickets/<str:reference>/", views.ticket_detail, name="ticket"),
]
