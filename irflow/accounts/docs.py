"""Render the permission matrix as a Markdown table (docs/security.md embeds it; a test checks)."""

from __future__ import annotations

from irflow.accounts.permissions import ACTION_LABELS, MATRIX, OWN
from irflow.accounts.roles import Role

BEGIN = "<!-- permission-matrix:begin -->"
END = "<!-- permission-matrix:end -->"


def matrix_markdown() -> str:
    roles = list(Role)
    head = "| action | " + " | ".join(r.label for r in roles) + " |"
    rule = "|---|" + "---|" * len(roles)
    rows = []
    for action in sorted(MATRIX):
        cells = []
        for role in roles:
            scope = MATRIX[action].get(role)
            cells.append("" if scope is None else ("own" if scope is OWN else "✓"))
        rows.append(f"| `{action}` — {ACTION_LABELS.get(action, '')} | " + " | ".join(cells) + " |")
    return "\n".join([BEGIN, head, rule, *rows, END])


def write(doc) -> None:
    """Replace the table between the markers in `doc` (a Path)."""
    text = doc.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + matrix_markdown() + tail)


def main() -> None:
    """`python -m irflow.accounts.docs` rewrites the table in docs/security.md."""
    from pathlib import Path

    import django

    django.setup()
    write(Path(__file__).resolve().parents[2] / "docs" / "security.md")


if __name__ == "__main__":
    main()
