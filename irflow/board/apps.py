from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "irflow.board"
    label = "board"
