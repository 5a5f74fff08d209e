from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "irflow.board"
    label = "board"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.board.models import BoardAttendee, BoardCase, BoardMeeting
        from irflow.web.navigation import NavItem, register

        auditlog.register(BoardMeeting)
        auditlog.register(BoardAttendee)
        auditlog.register(BoardCase)
        register(NavItem("Board", "board-list", "board.view"), before="Patients")
