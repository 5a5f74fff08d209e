from django.urls import path

from irflow.recovery import views

prefix = "recovery/"

urlpatterns = [
    path("<int:procedure_id>/", views.recovery_page, name="recovery-page"),
    path("<int:procedure_id>/pain/", views.pain_add, name="recovery-pain"),
    path("<int:procedure_id>/notes/", views.notes_save, name="recovery-notes"),
    path("<int:procedure_id>/vital-signs/", views.vitals_add, name="recovery-vitals"),
    path("<int:procedure_id>/instructions/", views.instructions, name="recovery-instructions"),
]
