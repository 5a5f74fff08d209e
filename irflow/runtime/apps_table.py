"""The table of irflow's apps for docs/architecture.md: each installed app, in its layer, with
what its package docstring says it holds."""

from __future__ import annotations

import importlib

from django.apps import apps

from irflow.layers import LAYER_NAMES, LAYERS
from irflow.lib.docblocks import DOCS

DOC = DOCS / "architecture.md"
CORES = ("clinical", "dicom", "lib")  # packages, not installed Django apps


def _summary(package: str) -> str:
    """The first paragraph of the package's docstring, on one line."""
    doc = importlib.import_module(f"irflow.{package}").__doc__ or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def apps_markdown() -> str:
    installed = [
        c.name.split(".", 1)[1] for c in apps.get_app_configs() if c.name.startswith("irflow.")
    ]
    rows = ["| layer | app | what it holds |", "|---|---|---|"]
    for layer, title in LAYER_NAMES.items():
        members = [a for a in (*CORES, *installed) if LAYERS.get(a) == layer]
        for index, app in enumerate(members):
            label = f"{layer}. {title}" if index == 0 else ""
            rows.append(f"| {label} | `{app}/` | {_summary(app)} |")
    return "\n".join(rows)


def generated() -> dict[str, str]:
    return {"apps": apps_markdown()}
