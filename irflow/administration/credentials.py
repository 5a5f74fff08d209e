"""The credentials pages (administrators): privileges per procedure category granted, renewed
and revoked with their dates and granting physician; certifications with expiry; what expires
within 60 days. Thin: irflow.accounts' services and selectors check permissions and values."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from irflow.accounts import selectors as accounts_selectors
from irflow.accounts import services as accounts_services
from irflow.accounts.models import CertificationKind, User
from irflow.accounts.permissions import require
from irflow.accounts.roles import Role
from irflow.catalogue.models import CATEGORY_CHOICES
from irflow.lib.forms import TextForm
from irflow.web.forms import refusals_shown

CLINICAL_ROLES = (Role.PHYSICIAN, Role.TRAINEE, Role.NURSE, Role.TECHNOLOGIST)
MSG_GRANTED = "{user} holds the privilege for {category} procedures from {day}."
MSG_REVOKED = "The privilege for {category} procedures of {user} is revoked from {day}."
MSG_CERTIFIED = "{kind} of {user} is recorded."
DATE = forms.DateInput(attrs={"type": "date"})


def _physicians():
    return User.objects.filter(role=Role.PHYSICIAN, is_active=True)


class GrantForm(TextForm):
    AUTO_ID = "grant_%s"
    category = forms.ChoiceField(label="Procedure category", choices=CATEGORY_CHOICES)
    granted_at = forms.DateField(label="Valid from", widget=DATE)
    expires_at = forms.DateField(label="Valid until", required=False, widget=DATE)
    granted_by = forms.ModelChoiceField(
        label="Granting physician", queryset=User.objects.none(), required=False,
        help_text="Blank: you.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", self.AUTO_ID)
        super().__init__(*args, **kwargs)
        self.fields["granted_by"].queryset = _physicians()  # type: ignore[attr-defined]


class RenewForm(TextForm):
    AUTO_ID = "renew_%s"
    renewed_on = forms.DateField(label="Renewed from", widget=DATE)
    expires_at = forms.DateField(label="Valid until", required=False, widget=DATE)
    granted_by = forms.ModelChoiceField(
        label="Granting physician", queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", self.AUTO_ID)
        super().__init__(*args, **kwargs)
        self.fields["granted_by"].queryset = _physicians()  # type: ignore[attr-defined]


class RevokeForm(TextForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "revoke_%s")
        super().__init__(*args, **kwargs)

    on = forms.DateField(label="Revoked from", widget=DATE)
    reason = forms.CharField(label="Reason", max_length=300)


class CertificationForm(TextForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cert_%s")
        super().__init__(*args, **kwargs)

    kind = forms.ChoiceField(label="Certification", choices=CertificationKind.choices)
    obtained_on = forms.DateField(label="Obtained on", widget=DATE)
    expires_on = forms.DateField(label="Expires on", required=False, widget=DATE)
    note = forms.CharField(label="Note", max_length=300, required=False)


@login_required
def credentials(request):
    """The clinical staff with their privileges and flags; what expires within 60 days."""
    require(request.user, "user.manage")
    today = timezone.localdate()
    staff = list(
        User.objects.filter(is_active=True, role__in=list(CLINICAL_ROLES)).prefetch_related(
            "privileges"
        )
    )
    flags = accounts_selectors.credential_flags(
        actor=request.user, user_ids=[u.pk for u in staff], on=today
    )
    return render(
        request,
        "administration/credentials.html",
        {
            "rows": [
                (u, [p for p in u.privileges.all() if p.state(today) == "current"], flags.get(u.pk))
                for u in staff
            ],
            "expiring": accounts_selectors.credentials_expiring(actor=request.user, on=today),
            "days": accounts_selectors.EXPIRY_WARNING_DAYS,
        },
    )


def _person_page(request, user_id, *, grant=None, renew=None, revoke=None, cert=None, status=200):
    person, privileges, certifications = accounts_selectors.credentials_of(
        actor=request.user, user_id=user_id
    )
    today = timezone.localdate()
    return render(
        request,
        "administration/credentials_person.html",
        {
            "person": person,
            "privileges": [(p, p.state(today)) for p in privileges],
            "certifications": certifications,
            "grant_form": grant or GrantForm(initial={"granted_at": today}),
            "renew_form": renew or RenewForm(initial={"renewed_on": today}),
            "revoke_form": revoke or RevokeForm(initial={"on": today}),
            "cert_form": cert or CertificationForm(),
            "failed": (renew or revoke) and request.POST.get("privilege"),
        },
        status=status,
    )


@login_required
def person_credentials(request, user_id: int):
    """One person's privileges (with their state) and certifications, and the forms."""
    return _person_page(request, user_id)


def _granter(form) -> int | None:
    physician = form.cleaned_data.get("granted_by")
    return physician.pk if physician is not None else None


@login_required
@require_POST
def privilege_grant(request, user_id: int):
    form = GrantForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusals_shown(form=form) as outcome:
            privilege = accounts_services.privilege_grant(
                actor=request.user, user_id=user_id, category=data["category"],
                granted_at=data["granted_at"], expires_at=data["expires_at"],
                granted_by_id=_granter(form),
            )  # fmt: skip
        if outcome.ok:
            messages.success(request, _granted(privilege))
            return redirect("admin-credentials-person", user_id)
    return _person_page(request, user_id, grant=form, status=422)


def _granted(privilege) -> str:
    return MSG_GRANTED.format(
        user=privilege.user,
        category=privilege.get_category_display().lower(),
        day=f"{privilege.granted_at:%d %b %Y}",
    )


@login_required
@require_POST
def privilege_renew(request, user_id: int, privilege_id: int):
    form = RenewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusals_shown(form=form) as outcome:
            privilege = accounts_services.privilege_renew(
                actor=request.user, privilege_id=privilege_id, renewed_on=data["renewed_on"],
                expires_at=data["expires_at"], granted_by_id=_granter(form),
            )  # fmt: skip
        if outcome.ok:
            messages.success(request, _granted(privilege))
            return redirect("admin-credentials-person", user_id)
    return _person_page(request, user_id, renew=form, status=422)


@login_required
@require_POST
def privilege_revoke(request, user_id: int, privilege_id: int):
    form = RevokeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusals_shown(form=form) as outcome:
            privilege = accounts_services.privilege_revoke(
                actor=request.user, privilege_id=privilege_id, on=data["on"], reason=data["reason"]
            )
        if outcome.ok:
            messages.success(
                request,
                MSG_REVOKED.format(
                    user=privilege.user,
                    category=privilege.get_category_display().lower(),
                    day=f"{data['on']:%d %b %Y}",
                ),
            )
            return redirect("admin-credentials-person", user_id)
    return _person_page(request, user_id, revoke=form, status=422)


@login_required
@require_POST
def certification_add(request, user_id: int):
    form = CertificationForm(request.POST)
    if form.is_valid():
        with refusals_shown(form=form) as outcome:
            cert = accounts_services.certification_record(
                actor=request.user, user_id=user_id, **form.cleaned_data
            )
        if outcome.ok:
            messages.success(
                request, MSG_CERTIFIED.format(kind=cert.get_kind_display(), user=cert.user)
            )
            return redirect("admin-credentials-person", user_id)
    return _person_page(request, user_id, cert=form, status=422)
