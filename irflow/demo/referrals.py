"""Demo referrals from the demo referrers, in every state of the referral's journey.

Made through the services (so each has its timeline and notifications), then dated back so
that the triage queue shows breaches and the waiting times have something to measure.
Referrals left "ordered" here are booked (and some done) by the scheduling demo step.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from irflow.catalogue.models import ProcedureType
from irflow.patients.models import CareRelation, Patient
from irflow.referrals import services
from irflow.referrals.models import Notification, Referral, ReferralEvent, ReferralStatus

# (procedure code or None, free text, urgency, question, relevant history)
REQUESTS = {
    "referrer": [
        (
            "PVE",
            "",
            "urgent",
            "Right portal vein embolisation before extended right hepatectomy?",
            "Colorectal liver metastases, future liver remnant 22 %.",
        ),
        (
            "PTBD",
            "",
            "emergent",
            "Obstructive jaundice, failed ERCP. Biliary drainage please.",
            "Hilar cholangiocarcinoma (Bismuth IIIa). Bilirubin 310 µmol/L, febrile.",
        ),
        (
            "BX-LIV",
            "",
            "routine",
            "Biopsy of a 3 cm segment 6 lesion, please.",
            "Indeterminate on MRI; CEA rising.",
        ),
        (
            "DRN-DEEP",
            "",
            "urgent",
            "Subphrenic collection after right hepatectomy — drainage?",
            "Day 8 after surgery, CRP 240, 7 cm rim-enhancing collection on CT.",
        ),
        ("TACE", "", "routine", "TACE for multifocal HCC, BCLC B?", "Child-Pugh A6, ECOG 0."),
        (
            "CHOLE",
            "",
            "urgent",
            "Cholecystostomy for acalculous cholecystitis in ICU patient.",
            "Ventilated, not fit for surgery.",
        ),
        (
            None,
            "Liver-directed therapy",
            "routine",
            "Liver-only metastases after second-line chemotherapy: ablation, TACE or Y-90?",
            "Four lesions, largest 4 cm; MDT discussion requested.",
        ),
        (
            "BX-DEEP",
            "",
            "routine",
            "Retroperitoneal mass — tissue diagnosis?",
            "Lymphoma suspected, LDH high.",
        ),
    ],
    "referrer2": [
        (
            "PORT",
            "",
            "routine",
            "Port for FOLFOX chemotherapy, starting in two weeks.",
            "Stage III colon cancer, adjuvant treatment.",
        ),
        (
            "PICC",
            "",
            "urgent",
            "PICC for six weeks of IV antibiotics.",
            "Discitis, blood cultures positive for S. aureus.",
        ),
        (
            "BX-LUN",
            "",
            "routine",
            "CT-guided biopsy of a 2 cm right upper lobe nodule.",
            "PET-avid, FEV1 1.9 L, no anticoagulants.",
        ),
        (
            "IPC",
            "",
            "routine",
            "Indwelling pleural catheter for recurrent malignant effusion.",
            "Three thoracocenteses in a month.",
        ),
        (
            None,
            "Cementoplasty of a painful bone metastasis",
            "urgent",
            "Painful lytic acetabular metastasis — percutaneous cementoplasty?",
            "Breast cancer, pain NRS 8 despite opioids; radiotherapy done.",
        ),
        (
            "TARE",
            "",
            "routine",
            "Y-90 radioembolisation for unresectable liver metastases?",
            "Neuroendocrine tumour, hepatic-predominant disease.",
        ),
        (
            "CVC-TUN",
            "",
            "routine",
            "Tunnelled line for autologous stem cell collection.",
            "Myeloma, mobilisation next week.",
        ),
    ],
    "referrer3": [
        (
            "PARA",
            "",
            "routine",
            "Large-volume paracentesis, please.",
            "Alcohol-related cirrhosis, refractory ascites, INR 1.6.",
        ),
        (
            "TIPS",
            "",
            "urgent",
            "Rescue TIPS after second variceal bleed?",
            "Child-Pugh B8, MELD 14; bleeding controlled with banding.",
        ),
        (
            "RIG",
            "",
            "routine",
            "Gastrostomy: endoscopic route failed (trismus).",
            "Head and neck cancer, before chemoradiotherapy.",
        ),
        (
            "BX-LIV-TJ",
            "",
            "urgent",
            "Transjugular liver biopsy: unexplained acute liver failure.",
            "INR 2.4, platelets 60.",
        ),
        (
            "EMB-GIB",
            "",
            "emergent",
            "Active lower GI bleeding on CT angiography — embolisation?",
            "Blush in the sigmoid branch, Hb 68 after 4 units.",
        ),
        (
            None,
            "Anything to help with recurrent cholangitis",
            "routine",
            "Recurrent cholangitis after hepaticojejunostomy — percutaneous options?",
            "Three admissions this year.",
        ),
    ],
}

REPORTED_MEDICATIONS = "Apixaban 5 mg twice daily\nBisoprolol 2.5 mg once daily"
REPORTED_ALLERGIES = "Iodinated contrast — hives (CT 2021)"

# What IR orders for the free-text requests above.
FREE_TEXT_CODES = {
    "Liver-directed therapy": "TACE",
    "Cementoplasty of a painful bone metastasis": "VERT",
    "Anything to help with recurrent cholangitis": "PTBD",
}

# The state each demo referral is driven to, in order (cycled per referrer), and how long
# ago it was received (days; fractions for the queue's breaches).
PLAN = [
    (ReferralStatus.RECEIVED, 0.1),
    (ReferralStatus.ORDERED, 20),
    (ReferralStatus.BOARD, 9),
    (ReferralStatus.RECEIVED, 4),
    (ReferralStatus.ORDERED, 12),
    (ReferralStatus.MORE_INFO, 6),
    (ReferralStatus.ORDERED, 30),
    (ReferralStatus.DECLINED, 15),
    (ReferralStatus.CLINIC, 8),
    (ReferralStatus.ACCEPTED, 3),
    (ReferralStatus.ORDERED, 5),
    (ReferralStatus.CANCELLED, 11),
    (ReferralStatus.BOARD, 2),
    (ReferralStatus.ORDERED, 40),
    (ReferralStatus.ORDERED, 2),
]


# How long triage took, by urgency (hours): mostly within the default targets, not always.
TRIAGE_DELAYS_H: dict[str, list[float]] = {
    "emergent": [0.25, 0.5, 0.5, 0.75, 2],
    "urgent": [2, 6, 12, 20, 30],
    "routine": [5, 24, 48, 70, 100],
}


# How many of the demo's patients each referrer's referrals go to, and how many are looked at
# to find them: a fixed number, so that the demo's cost does not grow with its patients.
PATIENTS_PER_REFERRER = 12
SAMPLE = 4 * PATIENTS_PER_REFERRER


def _patients_for(referrer, pool: list[Patient], rng: random.Random) -> list[Patient]:
    """The referrer's patients among a sample of the pool, with care relations added to
    others of the sample when too few."""
    sample = rng.sample(pool, min(len(pool), SAMPLE))
    cared = set(
        CareRelation.objects.filter(
            clinician=referrer, patient_id__in=[p.pk for p in sample]
        ).values_list("patient_id", flat=True)
    )
    mine = [p for p in sample if p.pk in cared][:PATIENTS_PER_REFERRER]
    others = [p for p in sample if p.pk not in cared]
    added = others[: max(0, PATIENTS_PER_REFERRER - len(mine))]
    CareRelation.objects.bulk_create(
        [CareRelation(patient=p, clinician=referrer) for p in added], ignore_conflicts=True
    )
    return mine + added


def _drive(referral: Referral, target: str, *, physician, referrer) -> None:
    """Take a fresh referral to `target` the way people would."""
    pk = referral.pk
    if target == ReferralStatus.MORE_INFO:
        services.referral_request_information(
            actor=physician, referral_id=pk, question="Recent INR and platelet count, please."
        )
    elif target == ReferralStatus.CLINIC:
        services.referral_clinic_first(
            actor=physician, referral_id=pk, note="To discuss risks and options in IR clinic."
        )
    elif target == ReferralStatus.ACCEPTED:
        services.referral_accept(actor=physician, referral_id=pk)
    elif target == ReferralStatus.DECLINED:
        services.referral_decline(
            actor=physician,
            referral_id=pk,
            reason="Not indicated on current imaging; happy to review if it changes.",
        )
    elif target == ReferralStatus.CANCELLED:
        services.referral_cancel(
            actor=referrer, referral_id=pk, reason="Patient chose treatment elsewhere."
        )
    elif target == ReferralStatus.BOARD:
        services.referral_send_to_board(
            actor=physician, referral_id=pk, note="For the hepatobiliary and oncology board."
        )
    elif target == ReferralStatus.ORDERED:
        code = FREE_TEXT_CODES.get(referral.requested_procedure_text, "BX-LIV")
        procedure = referral.procedure_type or ProcedureType.objects.get(code=code)
        services.referral_accept(actor=physician, referral_id=pk, procedure_type=procedure)


def _date_back(referral: Referral, days: float, rng: random.Random) -> None:
    """Move the referral's timestamps into the past (received `days` ago)."""
    received = timezone.now() - timedelta(days=days)
    triage_delay = timedelta(hours=rng.choice(TRIAGE_DELAYS_H[referral.urgency]))
    triaged = min(received + triage_delay, timezone.now())
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "pk"))
    for i, event in enumerate(events):
        event.at = received if i == 0 else triaged + timedelta(minutes=i)
    ReferralEvent.objects.bulk_update(events, ["at"])
    Notification.objects.filter(referral=referral).update(created_at=triaged)
    Referral.objects.filter(pk=referral.pk).update(
        received_at=received,
        triaged_at=triaged if referral.triaged_at else None,
        status_changed_at=events[-1].at if events else received,
    )


def demo_referrals_create(ctx) -> None:
    rng = random.Random(ctx.seed * 31 + 7)
    physician = ctx.users["physician"]
    created = 0
    for username, requests in REQUESTS.items():
        referrer = ctx.users.get(username)
        if referrer is None or not ctx.patients:
            continue
        patients = _patients_for(referrer, ctx.patients, rng)
        for i, (target, days) in enumerate(PLAN):
            code, text, urgency, question, history = requests[i % len(requests)]
            if target == ReferralStatus.ACCEPTED:
                code = None  # a free-text request waits for a catalogue entry
                text = text or "Percutaneous procedure (to be defined)"
            patient = patients[i % len(patients)]
            referral = services.referral_create(
                actor=referrer,
                patient_id=patient.pk,
                clinical_question=question,
                urgency=urgency,
                procedure_type=ProcedureType.objects.filter(code=code).first() if code else None,
                requested_procedure_text=text,
                relevant_history=history,
                # The newest referral of each referrer lists what the patient takes and
                # reacts to: it waits on the chart for the nurse to confirm.
                medications=REPORTED_MEDICATIONS if i == 0 else "",
                allergies=REPORTED_ALLERGIES if i == 0 else "",
            )
            _drive(referral, target, physician=physician, referrer=referrer)
            referral.refresh_from_db()
            _date_back(referral, days, rng)
            created += 1
    ctx.counts["referrals"] = created
