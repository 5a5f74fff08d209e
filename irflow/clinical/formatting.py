"""Numbers as people read them in messages: 50, 1.5, 49.96 — never 50.0."""

from __future__ import annotations


def fmt_number(value: float | None) -> str:
    """A number without trailing zeros, at most two decimals; '?' for None."""
    if value is None:
        return "?"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def fmt_quantity(value: float | None, unit: str) -> str:
    """'50 mg/dL', '1.5' (INR has no unit), '100 mg/dL'."""
    number = fmt_number(value)
    return f"{number} {unit}" if unit and unit != "INR" else number
