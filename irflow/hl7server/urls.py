from django.urls import path

from irflow.hl7server import views

prefix = "hl7/"

urlpatterns = [
    path("", views.inbound_list, name="hl7-messages"),
    path("received/<int:message_id>/", views.inbound_detail, name="hl7-message"),
    path(
        "received/<int:message_id>/reprocess/",
        views.inbound_reprocess,
        name="hl7-message-reprocess",
    ),
    path("sent/", views.outbound_list, name="hl7-outbox"),
    path("sent/<int:outbound_id>/", views.outbound_detail, name="hl7-outbound"),
    path("sent/<int:outbound_id>/resend/", views.outbound_resend, name="hl7-outbound-resend"),
    path("sent/<int:outbound_id>/cancel/", views.outbound_cancel, name="hl7-outbound-cancel"),
    path("destinations/", views.destination_list, name="hl7-destinations"),
    path("destinations/new/", views.destination_edit, name="hl7-destination-new"),
    path("destinations/<int:destination_id>/", views.destination_edit, name="hl7-destination"),
    path(
        "destinations/<int:destination_id>/deactivate/",
        views.destination_deactivate,
        name="hl7-destination-deactivate",
    ),
    path("mappings/", views.mapping_list, name="hl7-mappings"),
    path("mappings/new/", views.mapping_edit, name="hl7-mapping-new"),
    path("mappings/<int:mapping_id>/", views.mapping_edit, name="hl7-mapping"),
    path("mappings/<int:mapping_id>/delete/", views.mapping_delete, name="hl7-mapping-delete"),
]
