from django.urls import path

from irflow.scheduling import views

prefix = "scheduling/"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("rooms/<str:code>/day/", views.room_day, name="room-day"),
    path("rooms/<str:code>/week/", views.room_week, name="room-week"),
    path("book/<int:order_id>/", views.booking_create, name="booking-create"),
    path("book/<int:order_id>/slots/", views.booking_slots, name="booking-slots"),
    path("book/<int:order_id>/slots/book/", views.booking_slot_book, name="booking-slot-book"),
    path("bookings/<int:booking_id>/", views.booking_detail, name="booking-detail"),
    path(
        "bookings/<int:booking_id>/reschedule/",
        views.booking_reschedule,
        name="booking-reschedule",
    ),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="booking-cancel"),
]
