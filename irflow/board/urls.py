from django.urls import path

from irflow.board import views

prefix = "board/"

urlpatterns = [
    path("", views.meeting_list, name="board-list"),
    path("new/", views.meeting_create, name="board-meeting-create"),
    path("<int:meeting_id>/", views.meeting_detail, name="board-meeting"),
    path("<int:meeting_id>/cases/", views.case_add, name="board-case-add"),
    path("<int:meeting_id>/cases/<int:case_id>/decision/", views.case_decide, name="board-decide"),
    path("<int:meeting_id>/agenda/", views.agenda_print, name="board-agenda"),
    path("<int:meeting_id>/agenda.pdf", views.agenda_pdf, name="board-agenda-pdf"),
]
