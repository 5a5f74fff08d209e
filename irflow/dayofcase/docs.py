"""The rules of the day of the case and the modality's flags as Markdown, for
docs/day-of-case.md (generated: `irflow docs`; a test checks)."""

from __future__ import annotations

from irflow.dayofcase.guards import FLAGS, MOVE_LABELS, RULES
from irflow.lib.docblocks import DOCS

DOC = DOCS / "day-of-case.md"


def rules_markdown() -> str:
    rows = ["| move | rule (`code`) | for buttons |", "|---|---|---|"]
    for r in RULES:
        rows.append(f"| {MOVE_LABELS[r.move]} | {r.text} (`{r.code}`) | {r.short} |")
    return "\n".join(rows)


def flags_markdown() -> str:
    rows = ["| flag (`kind`) | raised when |", "|---|---|"]
    for kind, when in FLAGS.items():
        rows.append(f"| {kind.label} (`{kind.value}`) | {when} |")
    return "\n".join(rows)


def generated() -> dict[str, str]:
    return {"day-rules": rules_markdown(), "day-flags": flags_markdown()}
