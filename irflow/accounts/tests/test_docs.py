from pathlib import Path

from irflow.accounts.docs import matrix_markdown


def test_security_doc_shows_the_current_permission_matrix():
    doc = Path(__file__).resolve().parents[3] / "docs" / "security.md"
    assert matrix_markdown() in doc.read_text(), (
        "docs/security.md is out of date: run python -m irflow.accounts.docs"
    )
