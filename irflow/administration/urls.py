from django.urls import path

from irflow.administration import credentials, views

prefix = "administration/"

urlpatterns = [
    path("", views.hub, name="admin-hub"),
    path("first-run/", views.first_run, name="first-run"),
    path("rooms/", views.rooms, name="admin-rooms"),
    path("rooms/new/", views.room_edit, name="admin-room-new"),
    path("rooms/<int:room_id>/", views.room_edit, name="admin-room"),
    path("rooms/<int:room_id>/closures/", views.closure_add, name="admin-closure-add"),
    path(
        "rooms/<int:room_id>/closures/<int:closure_id>/remove/",
        views.closure_remove,
        name="admin-closure-remove",
    ),
    path("procedures/", views.procedures, name="admin-procedures"),
    path("procedures/new/", views.procedure_edit, name="admin-procedure-new"),
    path("procedures/<int:procedure_id>/", views.procedure_edit, name="admin-procedure"),
    path("department/", views.department, name="admin-department"),
    path("modalities/", views.remote_aes, name="admin-remote-aes"),
    path("modalities/new/", views.remote_ae_edit, name="admin-remote-ae-new"),
    path("modalities/<int:remote_id>/", views.remote_ae_edit, name="admin-remote-ae"),
    path(
        "modalities/<int:remote_id>/remove/", views.remote_ae_remove, name="admin-remote-ae-remove"
    ),
    path("credentials/", credentials.credentials, name="admin-credentials"),
    path(
        "credentials/<int:user_id>/",
        credentials.person_credentials,
        name="admin-credentials-person",
    ),
    path(
        "credentials/<int:user_id>/grant/",
        credentials.privilege_grant,
        name="admin-privilege-grant",
    ),
    path(
        "credentials/<int:user_id>/privileges/<int:privilege_id>/renew/",
        credentials.privilege_renew,
        name="admin-privilege-renew",
    ),
    path(
        "credentials/<int:user_id>/privileges/<int:privilege_id>/revoke/",
        credentials.privilege_revoke,
        name="admin-privilege-revoke",
    ),
    path(
        "credentials/<int:user_id>/certifications/",
        credentials.certification_add,
        name="admin-certification-add",
    ),
]
