from django.urls import path

from irflow.procedures import views

prefix = "procedures/"

urlpatterns = [
    path("bookings/<int:booking_id>/", views.procedure_page, name="procedure-page"),
    path("bookings/<int:booking_id>/check-in/", views.check_in, name="procedure-check-in"),
    path("<int:procedure_id>/", views.procedure_by_id, name="procedure-detail"),
    path("<int:procedure_id>/save/<str:group>/", views.group_save, name="procedure-save"),
    path("<int:procedure_id>/add/<str:kind>/", views.part_add, name="procedure-add"),
    path(
        "<int:procedure_id>/strike/<str:kind>/<int:part_id>/",
        views.part_strike,
        name="procedure-strike",
    ),
    path("<int:procedure_id>/complete/", views.complete, name="procedure-complete"),
]
