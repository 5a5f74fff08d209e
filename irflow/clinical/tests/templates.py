"""Assert that a message was built from a given template."""

from __future__ import annotations

import re


def matches(template: str, text: str) -> bool:
    """True when `text` is `template` with its {fields} filled in."""
    parts = re.split(r"\{[^}]*\}", template)
    pattern = ".*".join(re.escape(p) for p in parts)
    return re.fullmatch(pattern, text, flags=re.DOTALL) is not None
