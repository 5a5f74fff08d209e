from django.urls import path

from irflow.training import views

prefix = "training/"

urlpatterns = [
    path("", views.home, name="training"),
    path("logbook/<int:trainee_id>/", views.logbook, name="logbook"),
    path("logbook/<int:trainee_id>/logbook.csv", views.logbook_csv, name="logbook-csv"),
    path("logbook/<int:trainee_id>/logbook.pdf", views.logbook_pdf, name="logbook-pdf"),
    path("logbook/<int:trainee_id>/enrol/", views.enrol, name="logbook-enrol"),
    path("verify/", views.queue, name="logbook-queue"),
    path("verify/<int:entry_id>/verify/", views.verify, name="logbook-verify"),
    path("verify/<int:entry_id>/query/", views.query, name="logbook-query"),
    path("practice/", views.practice, name="practice"),
]
