"""Every part of docs/ that is generated from the code, in one list: `irflow docs` writes them,
tests/test_docs.py fails while any is out of date."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from irflow.accounts import docs as permissions
from irflow.clinical import docs as clinical_rules
from irflow.dayofcase import docs as day_of_case
from irflow.dicomserver import conformance
from irflow.fhirserver import docs as fhir_docs
from irflow.hl7server import docs as hl7_interface
from irflow.lib import docblocks
from irflow.registry import docs as registry_docs
from irflow.runtime import apps_table

# (document, blocks generated into it)
BLOCKS: list[tuple[Path, Callable[[], dict[str, str]]]] = [
    (permissions.DOC, permissions.generated),
    (conformance.DOC, conformance.generated),
    (hl7_interface.DOC, hl7_interface.generated),
    (day_of_case.DOC, day_of_case.generated),
    (apps_table.DOC, apps_table.generated),
    (fhir_docs.DOC, fhir_docs.generated),
    (registry_docs.DOC, registry_docs.generated),
]
# Documents generated whole.
WHOLE: list[tuple[Path, Callable[[], str]]] = [(clinical_rules.DOCS_PATH, clinical_rules.render)]


def stale() -> list[str]:
    """The generated parts that differ from what the code says now."""
    found = []
    for path, generated in BLOCKS:
        for name, body in generated().items():
            if not docblocks.current(path, name, body):
                found.append(f"{path.name}: {name}")
    for path, render in WHOLE:
        if path.read_text(encoding="utf-8") != render():
            found.append(path.name)
    return found


def write_all() -> list[str]:
    """Rewrite every generated part; the names of those that changed."""
    changed = []
    for path, generated in BLOCKS:
        for name, body in generated().items():
            if docblocks.write(path, name, body):
                changed.append(f"{path.name}: {name}")
    for path, render in WHOLE:
        text = render()
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path.name)
    return changed
