"""Forms of the account pages and of the administrator's users and API tokens pages. They
check only the shape of the input; the services decide."""

from __future__ import annotations

from django import forms

from irflow.accounts.models import TokenScope, User
from irflow.accounts.roles import PERSON_ROLES
from irflow.lib.forms import TextForm

POLICY_HELP = (
    "At least 12 characters, not only digits, not a common password and not like your name, "
    "username or e-mail address."
)
ACTIVE_CHOICES = [("", "Active and deactivated"), ("active", "Active"), ("inactive", "Deactivated")]
TOKEN_STATES = [("", "All"), ("active", "Working"), ("ended", "Revoked or expired")]


class PasswordChangeForm(TextForm):
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        help_text=POLICY_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class UserFilterForm(TextForm):
    q = forms.CharField(label="Name, username or e-mail", required=False)
    role = forms.ChoiceField(
        label="Role", choices=[("", "Every role"), *PERSON_ROLES], required=False
    )
    state = forms.ChoiceField(label="State", choices=ACTIVE_CHOICES, required=False)

    def active(self) -> bool | None:
        state = self.cleaned_data.get("state", "") if self.is_valid() else ""
        return {"active": True, "inactive": False}.get(state)


class UserCreateForm(TextForm):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="What they type to sign in: letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    display_name = forms.CharField(
        label="Name on reports",
        max_length=150,
        required=False,
        help_text="E.g. “Dr A. Khan”; empty: the first and last name.",
    )
    email = forms.EmailField(label="E-mail address", required=False)
    role = forms.ChoiceField(label="Role", choices=[("", "Choose a role"), *PERSON_ROLES])
    password = forms.CharField(
        label="Initial password",
        required=False,
        strip=False,
        help_text="Empty: irflow makes up a temporary password and shows it once. " + POLICY_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    must_change_password = forms.BooleanField(
        label="Must change the password at first sign-in", required=False, initial=True
    )


class UserRoleForm(TextForm):
    role = forms.ChoiceField(label="Role", choices=PERSON_ROLES)


class UserPasswordResetForm(TextForm):
    password = forms.CharField(
        label="Temporary password",
        required=False,
        strip=False,
        help_text="Empty: irflow makes one up and shows it once. They must change it at their "
        "next sign-in.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class TokenFilterForm(TextForm):
    state = forms.ChoiceField(label="State", choices=TOKEN_STATES, required=False)


class TokenCreateForm(TextForm):
    user = forms.ModelChoiceField(
        label="Acts as user",
        queryset=User.objects.filter(is_active=True).order_by("username"),
        help_text="The token may do what this user's role allows, and no more.",
    )
    name = forms.CharField(
        label="What it is for", max_length=100, help_text="E.g. “HL7 engine”, “PACS bridge”."
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="Read only: the token may read (GET) and nothing else.",
    )
    expires_on = forms.DateField(
        label="Expires at the end of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty: until revoked.",
    )
