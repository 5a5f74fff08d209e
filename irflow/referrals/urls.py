from django.urls import path

from irflow.referrals import views

prefix = "referrals/"

urlpatterns = [
    path("", views.referral_list, name="referral-list"),
    path("new/", views.referral_create, name="referral-create"),
    path("triage/", views.triage_queue, name="referral-triage"),
    path("notifications/", views.notifications, name="notifications"),
    path("files/<int:attachment_id>/", views.attachment_download, name="referral-attachment"),
    path("<int:referral_id>/", views.referral_detail, name="referral-detail"),
    path("<int:referral_id>/accept/", views.referral_accept, name="referral-accept"),
    path("<int:referral_id>/triage/<str:outcome>/", views.referral_triage, name="referral-outcome"),
    path(
        "<int:referral_id>/information/",
        views.referral_add_information,
        name="referral-information",
    ),
    path("<int:referral_id>/cancel/", views.referral_cancel, name="referral-cancel"),
    path(
        "<int:referral_id>/patient/confirm/",
        views.referral_patient_confirm,
        name="referral-patient-confirm",
    ),
    path(
        "<int:referral_id>/patient/reattach/",
        views.referral_patient_reattach,
        name="referral-patient-reattach",
    ),
]
