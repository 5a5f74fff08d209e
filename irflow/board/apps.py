from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "irflow.board"
    label = "board"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from irflow.board import demo
        from irflow.board.models import BoardAttendee, BoardCase, BoardMeeting
        from irflow.demo.generator import register_step
        from irflow.web.navigation import NavItem, register

        auditlog.register(BoardMeeting)
        auditlog.register(BoardAttendee)
        auditlog.register(BoardCase)
        register(NavItem("Board", "board-list", "board.view"), before="Patients")
        register_step("board meetings", demo.demo_board_create)
