"""Parts of docs/ generated from the code, so that they cannot drift: each sits between
`<!-- name:begin -->` and `<!-- name:end -->` in its Markdown file. `irflow docs` rewrites
them all; a test fails while any is out of date."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def block(name: str, body: str) -> str:
    """The block as it appears in the document, markers included."""
    begin, end = markers(name)
    return f"{begin}\n{body.strip()}\n{end}"


def replaced(text: str, name: str, body: str) -> str:
    """`text` with the block `name` replaced by `body` (the markers must be there)."""
    begin, end = markers(name)
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} … {end} in the document")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + block(name, body) + tail


def write(path: Path, name: str, body: str) -> bool:
    """Rewrite the block in `path`; True if it changed."""
    text = path.read_text(encoding="utf-8")
    new = replaced(text, name, body)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def current(path: Path, name: str, body: str) -> bool:
    return block(name, body) in path.read_text(encoding="utf-8")
