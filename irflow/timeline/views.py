"""The patient timeline: a card the chart loads in place (htmx), and a page of its own that
works without JavaScript; filtered by kind with GET parameters. Thin: the selector reads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from irflow.timeline import selectors


def _timeline(request, patient_id: int) -> selectors.Timeline:
    return selectors.patient_timeline(
        actor=request.user, patient_id=patient_id, kinds=request.GET.getlist("kind")
    )


@login_required
def patient_timeline(request, patient_id: int):
    """The timeline as a page of its own (the chart links here when scripts do not run)."""
    timeline = _timeline(request, patient_id)
    return render(
        request, "timeline/page.html", {"timeline": timeline, "patient": timeline.patient}
    )


@login_required
def timeline_card(request, patient_id: int):
    """The timeline card the chart loads in place, and draws again when filtered."""
    return render(request, "timeline/_timeline.html", {"timeline": _timeline(request, patient_id)})
