"""The auditor's page: search reads (access log) and changes (history)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from irflow.audit import selectors
from irflow.lib.forms import TextForm
from irflow.web.forms import DateInput


class AuditFilter(TextForm):
    view = forms.ChoiceField(
        choices=[("access", "Reads (access log)"), ("history", "Changes (history)")],
        initial="access",
        required=False,
    )
    username = forms.CharField(required=False, max_length=150, label="User")
    patient_id = forms.IntegerField(required=False, min_value=1, label="Patient number")
    since = forms.DateField(required=False, widget=DateInput(), label="From")
    until = forms.DateField(required=False, widget=DateInput(), label="To")


@login_required
def audit_page(request):
    form = AuditFilter(request.GET or None)
    filters: dict = {}
    rows: list
    view = "access"
    if form.is_valid():
        view = form.cleaned_data.pop("view") or "access"
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    if view == "history":
        rows = selectors.history_search(actor=request.user, **filters)
    else:
        rows = selectors.access_log_search(actor=request.user, **filters)
    return render(request, "audit/audit.html", {"form": form, "rows": rows, "view": view})
