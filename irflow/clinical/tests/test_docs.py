"""docs/clinical-rules.md is generated from the rule data and must not drift."""

from __future__ import annotations

from pathlib import Path

from irflow.clinical import rulesets
from irflow.clinical.docs import DOCS_PATH, main, render


def test_committed_document_matches_the_rule_data() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), (
        "docs/clinical-rules.md is out of date: run python -m irflow.clinical.docs"
    )


def test_every_rule_is_documented_with_its_flags() -> None:
    text = render()
    for rs in rulesets():
        assert f"## {rs.id}" in text
        for r in rs.rules:
            assert f"### `{r.id}`" in text
    assert "confidence **U** · verified: no · **site default**" in text
    assert "| `inr_max` | 1.5 | 1.5–1.8 (stricter: low) | INR | le | within the range |" in text


def test_check_mode(tmp_path: Path) -> None:
    target = tmp_path / "rules.md"
    assert main(["--check", "--output", str(target)]) == 1
    assert main(["--output", str(target)]) == 0
    assert main(["--check", "--output", str(target)]) == 0
