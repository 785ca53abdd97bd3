from django.urls import path

from . import appointments

urlpatterns = [
    path("", appointments.appointment_calendar, name="appointments"),
    path(
        "book/<int:customer_pk>/",
        appointments.appointment_book,
        name="appointment_book",
    ),
    path(
        "<int:pk>/<slug:step>/",
        appointments.appointment_step,
        name="appointment_step",
    ),
]
