"""Synthetic patients with the medications, labs, allergies and conditions IR cares about."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from faker import Faker

from irflow.patients.drugs import ANTITHROMBOTICS
from irflow.patients.models import (
    ANALYTE_UNITS,
    Allergy,
    CareRelation,
    Condition,
    IdentifierKind,
    LabResult,
    Medication,
    Patient,
    PatientIdentifier,
    normalise_name,
)

ANTITHROMBOTIC_REGIMENS = [
    ("apixaban", "Apixaban 5 mg", Decimal(5), "bd", ["08:00", "20:00"]),
    ("rivaroxaban", "Rivaroxaban 20 mg", Decimal(20), "od", ["18:00"]),
    ("warfarin", "Warfarin (dose per INR clinic)", None, "od", ["18:00"]),
    ("clopidogrel", "Clopidogrel 75 mg", Decimal(75), "od", ["09:00"]),
    ("aspirin", "Aspirin 75 mg", Decimal(75), "od", ["09:00"]),
    ("enoxaparin_therapeutic", "Enoxaparin 1.5 mg/kg", None, "od", ["10:00"]),
    ("dabigatran", "Dabigatran 150 mg", Decimal(150), "bd", ["08:00", "20:00"]),
    ("edoxaban", "Edoxaban 60 mg", Decimal(60), "od", ["08:00"]),
    ("ticagrelor", "Ticagrelor 90 mg", Decimal(90), "bd", ["08:00", "20:00"]),
]
OTHER_MEDS = [
    "Metformin 500 mg",
    "Atorvastatin 40 mg",
    "Ramipril 5 mg",
    "Omeprazole 20 mg",
    "Amlodipine 5 mg",
    "Levothyroxine 50 micrograms",
    "Paracetamol 1 g",
    "Bisoprolol 2.5 mg",
    "Furosemide 40 mg",
    "Morphine sulfate MR 10 mg",
    "Lactulose 15 mL",
    "Spironolactone 100 mg",
]
ALLERGIES = [
    ("Iodinated contrast (iohexol)", "iodinated_contrast", "moderate", "Urticaria and wheeze"),
    ("Iodinated contrast", "iodinated_contrast", "mild", "Hives"),
    ("Penicillin", "drug", "moderate", "Rash"),
    ("Latex", "latex", "severe", "Anaphylaxis"),
    ("Shellfish", "shellfish", "mild", "Itching"),
    ("Chlorhexidine", "drug", "severe", "Anaphylaxis"),
    ("Codeine", "drug", "mild", "Nausea"),
    ("Gadobutrol", "gadolinium", "mild", "Nausea"),
]


def _lab_value(rng: random.Random, analyte: str, unwell: bool) -> Decimal:
    if analyte == "inr":
        v = rng.gauss(1.1, 0.12) if not unwell else rng.uniform(1.3, 3.2)
        return Decimal(f"{max(0.8, v):.1f}")
    if analyte == "platelets":
        v = rng.gauss(250, 60) if not unwell else rng.uniform(25, 140)
        return Decimal(int(max(10, v)))
    if analyte == "haemoglobin":
        return Decimal(int(rng.gauss(128, 16) if not unwell else rng.uniform(75, 110)))
    if analyte == "creatinine":
        return Decimal(int(rng.gauss(85, 18) if not unwell else rng.uniform(130, 420)))
    if analyte == "egfr":
        return Decimal(
            int(min(120, max(8, rng.gauss(78, 14) if not unwell else rng.uniform(12, 50))))
        )
    return Decimal(
        f"{(rng.gauss(3.0, 0.5) if not unwell else rng.uniform(0.8, 1.8)):.1f}"
    )  # fibrinogen g/L


def demo_patients_create(
    *, count: int, seed: int, today: date, referrers: list, first_mrn: int | None = None
) -> list[Patient]:
    """Create `count` patients deterministically for `seed` and `today`, in bulk."""
    rng = random.Random(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    tz = ZoneInfo(settings.TIME_ZONE)
    start = first_mrn if first_mrn is not None else 1_000_000 + (seed % 1000) * 10_000
    patients: list[Patient] = []
    for _ in range(count):
        sex = rng.choice("FM")
        given = fake.first_name_female() if sex == "F" else fake.first_name_male()
        family = fake.last_name()
        birth = today - timedelta(days=rng.randint(18 * 365, 92 * 365))
        weight = Decimal(f"{rng.gauss(78 if sex == 'M' else 68, 14):.1f}")
        patients.append(
            Patient(
                family_name=family,
                given_name=given,
                family_name_key=normalise_name(family),
                given_name_key=normalise_name(given),
                birth_date=birth,
                sex=sex,
                weight_kg=max(Decimal(35), weight),
                height_cm=Decimal(f"{rng.gauss(176 if sex == 'M' else 163, 7):.0f}"),
                phone=fake.phone_number(),
                address=fake.address().replace("\n", ", "),
                language="en",
            )
        )
    Patient.objects.bulk_create(patients, batch_size=500)
    if patients[0].pk is None:  # backends that do not return ids from bulk inserts
        patients = list(Patient.objects.order_by("-pk")[:count])[::-1]

    identifiers, allergies, meds, labs, conditions, relations = [], [], [], [], [], []
    issuer = settings.IRFLOW_MRN_ISSUER
    for i, p in enumerate(patients):
        identifiers.append(
            PatientIdentifier(
                patient=p, kind=IdentifierKind.MRN, issuer=issuer, value=f"D{start + i:07d}"
            )
        )
        unwell = rng.random() < 0.18
        if rng.random() < 0.22:
            agent, cat, sev, reaction = rng.choice(ALLERGIES)
            allergies.append(
                Allergy(patient=p, agent=agent, category=cat, severity=sev, reaction=reaction)
            )
        if rng.random() < 0.35:
            drug, name, dose, freq, times = rng.choice(ANTITHROMBOTIC_REGIMENS)
            assert drug in ANTITHROMBOTICS
            meds.append(
                Medication(
                    patient=p,
                    name=name,
                    drug=drug,
                    dose=dose,
                    dose_unit="mg" if dose else "",
                    frequency=freq,
                    dose_times=times,
                    is_antithrombotic=True,
                )
            )
        for name in rng.sample(OTHER_MEDS, rng.randint(0, 4)):
            meds.append(Medication(patient=p, name=name, frequency="od", dose_times=["08:00"]))
        # A few months of lab history: 1–4 panels, newest within the last 120 days.
        for _ in range(rng.randint(1, 4)):
            day = today - timedelta(days=rng.randint(0, 120))
            taken = datetime.combine(day, time(rng.randint(7, 16), rng.choice([0, 15, 30, 45])), tz)
            if taken > datetime.now(UTC):
                taken -= timedelta(days=1)
            for analyte in ("inr", "platelets", "haemoglobin", "creatinine", "egfr"):
                labs.append(
                    LabResult(
                        patient=p,
                        analyte=analyte,
                        value=_lab_value(rng, analyte, unwell),
                        unit=ANALYTE_UNITS[analyte],
                        collected_at=taken,
                        source="demo",
                    )
                )
            if unwell and rng.random() < 0.5:
                labs.append(
                    LabResult(
                        patient=p,
                        analyte="fibrinogen",
                        value=_lab_value(rng, "fibrinogen", unwell),
                        unit=ANALYTE_UNITS["fibrinogen"],
                        collected_at=taken,
                        source="demo",
                    )
                )
        if rng.random() < 0.07:
            conditions.append(
                Condition(patient=p, code="chronic_liver_disease", note="Cirrhosis, Child-Pugh A")
            )
        if rng.random() < 0.04:
            conditions.append(
                Condition(patient=p, code="dialysis", note="Haemodialysis Mon/Wed/Fri")
            )
        if referrers and rng.random() < 0.3:
            relations.append(
                CareRelation(patient=p, clinician=rng.choice(referrers), reason="referral")
            )
    PatientIdentifier.objects.bulk_create(identifiers, batch_size=1000)
    Allergy.objects.bulk_create(allergies, batch_size=1000)
    Medication.objects.bulk_create(meds, batch_size=1000)
    LabResult.objects.bulk_create(labs, batch_size=1000)
    Condition.objects.bulk_create(conditions, batch_size=1000)
    CareRelation.objects.bulk_create(relations, batch_size=1000)
    return patients
