"""The navigation bar: each entry shows only to roles that hold its permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from irflow.accounts.permissions import can


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str


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


def navigation_for(user, path: str) -> list[dict]:
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
        items.append({"label": item.label, "url": url, "current": path.startswith(url)})
    # Only the most specific match is current (/referrals/triage/ is Triage, not Referrals).
    longest = max((len(str(i["url"])) for i in items if i["current"]), default=0)
    for i in items:
        i["current"] = bool(i["current"]) and len(str(i["url"])) == longest
    if user.is_staff:
        items.append(
            {"label": "Admin", "url": reverse("admin:index"), "current": path.startswith("/admin")}
        )
    return items
