"""The navigation bar: each entry shows only to roles that hold its permission, and may show
how many things wait there for the user (a count function, run only when the bar is drawn)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.urls import NoReverseMatch, reverse

from irflow.accounts.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str
    # user -> how many wait there (called only for users who hold the permission).
    count: Callable[[Any], int] | None = None


@dataclass
class NavLink:
    """One entry of the bar as drawn for one user."""

    label: str
    url: str
    current: bool = False
    counter: Callable[[], int] | None = field(default=None, repr=False)

    @cached_property
    def count(self) -> int:
        """How many wait there; computed once, and only when a page draws the bar."""
        return self.counter() if self.counter is not None else 0

    @property
    def aria_label(self) -> str:
        return f"{self.label}, {self.count} waiting" if self.count else self.label


# Later apps append their pages here (in journey order).
NAV: list[NavItem] = [
    NavItem("Patients", "patient-search", "patient.view"),
    NavItem("Audit", "audit", "audit.view"),
]


def register(item: NavItem, *, before: str | None = None) -> None:
    if before is None:
        NAV.append(item)
        return
    index = next((i for i, n in enumerate(NAV) if n.label == before), len(NAV))
    NAV.insert(index, item)


def _counter(item: NavItem, user) -> Callable[[], int] | None:
    count = item.count
    if count is None:
        return None
    return lambda: count(user)


def navigation_for(user, path: str) -> list[NavLink]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    for item in NAV:
        if not can(user, item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(NavLink(item.label, url, path.startswith(url), counter=_counter(item, user)))
    # Only the most specific match is current (/referrals/triage/ is Triage, not Referrals).
    longest = max((len(i.url) for i in items if i.current), default=0)
    for i in items:
        i.current = i.current and len(i.url) == longest
    if user.is_staff:
        items.append(NavLink("Admin", reverse("admin:index"), path.startswith("/admin/")))
    return items
