"""Input as irflow keeps it, through the API and the web forms alike: no line breaks in names,
no control characters, no invisible bidirectional or zero-width characters; ids are integers;
a request's files count toward its size limit. (What each character does: irflow.lib.text.)"""

from __future__ import annotations

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from irflow.accounts.actors import SYSTEM
from irflow.accounts.services import api_token_create
from irflow.api import MSG_ID_NOT_INTEGER
from irflow.lib.forms import TextForm
from irflow.lib.text import MSG_CONTROL, MSG_LINE_BREAK
from irflow.orders.models import Order
from irflow.patients.models import Patient
from irflow.testing.fixtures import login

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "mrn": "H0000001",
    "family_name": "Hygiene",
    "given_name": "Ida",
    "birth_date": "1961-02-03",
    "sex": "F",
}


def registered() -> bool:
    return Patient.objects.filter(identifiers__value="H0000001").exists()


def bearer(user) -> dict:
    token = api_token_create(actor=SYSTEM, user_id=user.pk, name="t")[1]
    return {"headers": {"authorization": f"Bearer {token}"}, "content_type": "application/json"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("family_name", "Hygiene\r\nPID|||EVIL", MSG_LINE_BREAK),
        ("family_name", "Hygiene\n", MSG_LINE_BREAK),
        ("given_name", "Ida\u2028Eve", MSG_LINE_BREAK),
        ("given_name", "Ida\x07", MSG_CONTROL.format(codepoint="U+0007")),
        ("address", "1 High St\x1b[2J", MSG_CONTROL.format(codepoint="U+001B")),
        ("mrn", "H\t0000001", MSG_CONTROL.format(codepoint="U+0009")),
    ],
)
def test_the_api_refuses_line_breaks_and_control_characters_naming_the_field(
    client, personas, field, value, message
):
    response = client.post(
        "/api/patients", {**NEW_PATIENT, field: value}, **bearer(personas["nurse"])
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {field: [message]}
    assert not registered()


def test_the_api_removes_invisible_characters_and_keeps_line_breaks_in_free_text(
    client, personas, patient, settings
):
    settings.IRFLOW_UID_ROOT = "1.2.826.0.1.9999"
    auth = bearer(personas["attending"])
    created = client.post(
        "/api/patients",
        {**NEW_PATIENT, "family_name": "Hyg\u202eeneig\u202c", "given_name": "I\u200bda\ufeff"},
        **auth,
    )
    assert created.status_code == 201, created.content
    assert (created.json()["family_name"], created.json()["given_name"]) == ("Hygeneig", "Ida")
    stored = Patient.objects.get(identifiers__value="H0000001")
    assert (stored.family_name, stored.given_name) == ("Hygeneig", "Ida")
    # Free text (up to 2000 characters) keeps its lines; CR LF becomes LF.
    order = client.post(
        "/api/orders",
        {
            "patient_id": patient.pk,
            "procedure_code": "PICC",
            "clinical_indication": "Antibiotics for 6 weeks.\r\nPoor veins.\tNo allergies.",
        },
        **auth,
    )
    assert order.status_code == 201, order.content
    kept = Order.objects.get(pk=order.json()["id"]).clinical_indication
    assert kept == "Antibiotics for 6 weeks.\nPoor veins.\tNo allergies."


@pytest.mark.parametrize("value", [True, False, 1.0, 2.5])
def test_an_id_must_be_an_integer_not_a_boolean(client, personas, patient, settings, value):
    settings.IRFLOW_UID_ROOT = "1.2.826.0.1.9999"
    response = client.post(
        "/api/orders",
        {"patient_id": value, "procedure_code": "PICC"},
        **bearer(personas["attending"]),
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {"patient_id": [MSG_ID_NOT_INTEGER]}
    assert "patient_id" in response.json()["detail"]
    assert not Order.objects.exists()


def test_the_web_forms_refuse_line_breaks_in_names_and_drop_invisible_characters(client, personas):
    login(client, personas["nurse"])
    refused = client.post("/patients/new/", {**NEW_PATIENT, "family_name": "Hygiene\r\nX"})
    assert refused.status_code == 422
    assert MSG_LINE_BREAK.replace(":", "") in refused.content.decode().replace(":", "")
    assert not registered()
    saved = client.post("/patients/new/", {**NEW_PATIENT, "given_name": "\u2066Ida\u2069"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Patient.objects.get(identifiers__value="H0000001").given_name == "Ida"


class NoteForm(TextForm):
    title = forms.CharField()
    note = forms.CharField(widget=forms.Textarea)
    secret = forms.CharField(widget=forms.PasswordInput, strip=False)


def test_a_textarea_is_free_text_and_a_password_is_taken_as_typed():
    form = NoteForm({"title": "A\u200bB", "note": "one\r\ntwo\tthree", "secret": "p\u200bw\t"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"title": "AB", "note": "one\ntwo\tthree", "secret": "p\u200bw\t"}
    refused = NoteForm({"title": "A\nB", "note": "bell\x07", "secret": "x"})
    assert not refused.is_valid()
    assert refused.errors == {
        "title": [MSG_LINE_BREAK],
        "note": [MSG_CONTROL.format(codepoint="U+0007")],
    }
    # A refused form shows the text as it would be kept, not reordered by what was removed.
    shown = NoteForm({"title": "\u202eAB\u202c", "note": "bell\x07", "secret": "x"})
    assert not shown.is_valid() and shown["title"].value() == "AB"


def four_files(size: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"scan{i}.pdf", b"%PDF-" + b"0" * (size - 5)) for i in range(4)]


def test_uploaded_files_count_toward_the_request_limit(client, personas, settings, tmp_path):
    """Four files, each under the attachment limit, together over the request limit: refused
    before anything reads them, naming the limit (the real service does it with 4 × 9 MB:
    tests/e2e/test_no_store_and_limits.py)."""
    settings.MEDIA_ROOT = tmp_path
    settings.IRFLOW_MAX_UPLOAD_BYTES = 4000
    settings.IRFLOW_MAX_ATTACHMENT_BYTES = 2000
    token = api_token_create(actor=SYSTEM, user_id=personas["nurse"].pk, name="t")[1]
    api = client.post(
        "/api/referrals/1/attachments",
        data={"file": four_files(1500)},
        headers={"authorization": f"Bearer {token}"},
    )
    assert api.status_code == 413
    assert api.json()["code"] == "too_large" and api.json()["limit"] == 4000
    assert "3.9 KB" in api.json()["detail"]
    login(client, personas["nurse"])
    page = client.post("/patients/new/", {**NEW_PATIENT, "attachments": four_files(1500)})
    assert page.status_code == 413
    assert "3.9 KB one request may carry" in page.content.decode()
    assert not registered()
    assert not any(tmp_path.rglob("*.pdf"))


def test_every_irflow_form_is_a_text_form():
    """A new form gets the same text rules without anyone remembering them."""
    import importlib
    import pkgutil

    import irflow

    for module in pkgutil.walk_packages(irflow.__path__, "irflow."):
        if module.name.rsplit(".", 1)[-1] in ("forms", "groups", "views"):
            importlib.import_module(module.name)

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        return found.union(*(subclasses(c) for c in found))

    ours = {c for c in subclasses(forms.Form) if c.__module__.startswith("irflow.")}
    assert len(ours) > 40
    plain = sorted(
        f"{c.__module__}.{c.__qualname__}"
        for c in ours
        if not issubclass(c, TextForm) and "tests" not in c.__module__
    )
    assert plain == [], "subclass irflow.lib.forms.TextForm"
