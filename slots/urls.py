from django.urls import path

from . import views

urlpatterns = [
    path("how-slots-are-allotted/", views.how_slots_are_allotted, name="how_slots_are_allotted"),
    path("sms/inbound/", views.inbound_sms, name="inbound_sms"),
]
