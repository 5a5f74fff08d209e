from django.urls import path

from irflow.checklists import views

prefix = "checklists/"

urlpatterns = [
    path("bookings/<int:booking_id>/", views.booking_checklists, name="checklists-booking"),
    path("bookings/<int:booking_id>/<str:phase>/", views.phase, name="checklists-phase"),
]
