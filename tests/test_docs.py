"""Every part of docs/ generated from the code is as the code says now: the permission
matrix, the clinical rules, the DICOM conformance tables, the rules of the day of the case,
the apps in their layers. `irflow docs` rewrites them."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from irflow.lib import docblocks
from irflow.runtime import docs


def test_every_generated_part_of_docs_is_current():
    assert docs.stale() == [], "docs/ is out of date: run irflow docs"


def test_the_check_fails_when_a_part_drifts(tmp_path, monkeypatch):
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n" + docblocks.block("demo", "old") + "\nend\n")
    monkeypatch.setattr(docs, "BLOCKS", [(doc, lambda: {"demo": "new"})])
    monkeypatch.setattr(docs, "WHOLE", [])
    with pytest.raises(CommandError, match=r"doc\.md: demo"):
        call_command("docs", "--check")
    call_command("docs")
    assert doc.read_text() == "intro\n" + docblocks.block("demo", "new") + "\nend\n"
    call_command("docs", "--check")
