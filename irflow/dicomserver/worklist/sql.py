"""SQL building blocks for worklist matching: case folding and DICOM wildcards.

`Fold` is `irflow.dicom.worklist.fold_case` in SQL. SQLite's LOWER() folds ASCII only, so on
SQLite it calls the Python function itself, registered on every new connection; PostgreSQL's
LOWER() folds by the database's locale (irflow runs it with UTF-8 ctype).

`Wildcard` matches a DICOM pattern (`*`, `?`). It is case-sensitive everywhere, as DICOM
requires for every VR but PN: LIKE on PostgreSQL (escaped with `to_like_pattern`), GLOB on
SQLite, whose LIKE ignores ASCII case.
"""

from __future__ import annotations

from django.db.models import CharField, Func, Lookup

from irflow.dicom.worklist import LIKE_ESCAPE, fold_case, to_like_pattern

SQLITE_FOLD = "irflow_fold"


def _fold_or_none(value: str | None) -> str | None:
    return None if value is None else fold_case(value)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give SQLite connections the Python case folding."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FOLD, 1, _fold_or_none, deterministic=True)


class Fold(Func):
    """Case folding for case-insensitive PN matching."""

    function = "LOWER"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_FOLD, **extra_context)


def to_glob_pattern(pattern: str) -> str:
    """Convert a DICOM wildcard pattern to SQLite GLOB (where only `[` needs escaping)."""
    return "".join("[[]" if char == "[" else char for char in pattern)


class Wildcard(Lookup):
    """`Wildcard(expression, "MÜ*ER?")`: the expression matches the DICOM wildcard pattern."""

    lookup_name = "dicom_wildcard"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        escape = LIKE_ESCAPE.replace("'", "''")
        return f"{lhs} LIKE %s ESCAPE '{escape}'", [*params, to_like_pattern(self.rhs)]

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} GLOB %s", [*params, to_glob_pattern(self.rhs)]
