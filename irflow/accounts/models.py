"""People: users with one role, their credentials, privileges per procedure category, API tokens."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from irflow.accounts.roles import PERSON_ROLES, Role
from irflow.clinical.vocabulary import PROCEDURE_CATEGORIES, PROCEDURE_CATEGORY_LABELS
from irflow.lib.choices import choices


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=PERSON_ROLES, blank=True)
    display_name = models.CharField(
        max_length=150, blank=True, help_text="As shown on reports, e.g. 'Dr A. Khan'."
    )
    must_change_password = models.BooleanField(
        default=False,
        help_text="Sent to choose a new password at the next sign-in, before anything else.",
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else "—"


class StaffProfile(models.Model):
    """Credentials of a clinician; for trainees, their level and supervisor."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    degree = models.CharField(max_length=100, blank=True)
    residency = models.CharField(max_length=200, blank=True)
    fellowship = models.CharField(max_length=200, blank=True)
    board_certification = models.CharField(max_length=200, blank=True)
    registration_number = models.CharField(
        max_length=50, blank=True, help_text="Professional registration (e.g. GMC, NPI)."
    )
    specialty = models.CharField(max_length=100, blank=True)
    trainee_level = models.CharField(max_length=50, blank=True)
    supervisor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees"
    )
    phone = models.CharField(max_length=50, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Privilege(models.Model):
    """The right to perform procedures of one category, granted by the department."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="privileges")
    category = models.CharField(
        max_length=30, choices=choices(PROCEDURE_CATEGORIES, PROCEDURE_CATEGORY_LABELS)
    )
    granted_at = models.DateField()
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateField(null=True, blank=True)
    # Revoked: held no more from that day (a later grant clears it); the history keeps each change.
    revoked_at = models.DateField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="privilege_unique_category")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_category_display()}"

    def state(self, on: date) -> str:
        """current, expired, revoked or not yet valid on day `on`."""
        if self.revoked_at is not None and self.revoked_at <= on:
            return "revoked"
        if self.granted_at > on:
            return "not yet valid"
        if self.expires_at is not None and self.expires_at < on:
            return "expired"
        return "current"


class CertificationKind(models.TextChoices):
    RADIATION = "radiation", "Fluoroscopy / radiation protection training"
    SEDATION = "sedation", "Sedation"
    LIFE_SUPPORT = "life_support", "Life support (e.g. ALS)"


class Certification(models.Model):
    """A certification with an expiry (radiation protection, sedation, life support); a renewal
    is a new row, so the past ones stay."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(max_length=20, choices=CertificationKind.choices)
    obtained_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "kind", "-obtained_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("obtained_on")),
                name="certification_expiry_after_obtained",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"


class TokenScope(models.TextChoices):
    """What a token may do, within what its user's role allows."""

    READ = "read", "Read only"
    FULL = "full", "Read and write"


class ApiToken(models.Model):
    """A bearer token for an integration. Only the SHA-256 of the secret is stored."""

    PREFIX = "irf"
    NAME_MAX_LENGTH = 100

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    key_id = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(
        max_length=10,
        choices=TokenScope.choices,
        default=TokenScope.FULL,
        help_text="Read only: the token may only read (GET), whatever its user's role allows.",
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this moment the token authenticates no more."
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}_{self.key_id}_…)"

    def state(self, now: datetime) -> str:
        """The token's state at `now`: revoked, expired or active."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @staticmethod
    def hash_secret(secret: str) -> str:
        # Secrets are 256-bit random strings, so a fast hash is enough (no dictionary to
        # attack); a slow KDF would only slow every API call.
        return hashlib.sha256(secret.encode()).hexdigest()
