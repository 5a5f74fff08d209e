"""The permission matrix as a Markdown table, for docs/security.md (generated: `irflow docs`;
a test checks)."""

from __future__ import annotations

from irflow.accounts.permissions import ACTION_LABELS, MATRIX, OWN
from irflow.accounts.roles import Role
from irflow.lib.docblocks import DOCS

DOC = DOCS / "security.md"


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
    return "\n".join([head, rule, *rows])


def generated() -> dict[str, str]:
    return {"permission-matrix": matrix_markdown()}
