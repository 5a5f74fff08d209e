"""Django choices from the core's vocabularies (`irflow.clinical.vocabulary`, …): the values
and the words come from there; models and forms only list them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def choices[T: str](values: Iterable[T], labels: Mapping[T, str]) -> list[tuple[str, str]]:
    """[(value, label)] in the vocabulary's order; a value without a label reads as itself."""
    return [(value, labels.get(value, value)) for value in values]
