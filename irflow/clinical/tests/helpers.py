"""Shared builders for the clinical tests: a baseline case that is ready, and small tweaks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from irflow.clinical import (
    CaseInput,
    Evaluation,
    Lab,
    PatientInput,
    ProcedureInput,
    SitePolicy,
    evaluate,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
POLICY = SitePolicy(timezone="Europe/London")

# A summer Wednesday in London, away from any DST change.
START = datetime(2025, 7, 16, 9, 0, tzinfo=LONDON)
END = datetime(2025, 7, 16, 10, 0, tzinfo=LONDON)
NOW = datetime(2025, 7, 15, 12, 0, tzinfo=LONDON)
YESTERDAY = NOW - timedelta(hours=3)

GOOD_LABS = (
    Lab("inr", 1.0, YESTERDAY),
    Lab("platelets", 200, YESTERDAY),
    Lab("haemoglobin", 130, YESTERDAY),
    Lab("creatinine", 80, YESTERDAY),
    Lab("egfr", 90, YESTERDAY),
    Lab("fibrinogen", 3.0, YESTERDAY),
)


def procedure(risk: str | None = "high", **kw: Any) -> ProcedureInput:
    return ProcedureInput(code="TEST", name="Test procedure", bleeding_risk=risk, **kw)  # type: ignore[arg-type]


def ready_case(**overrides: Any) -> CaseInput:
    """A high-bleeding-risk case with every input recorded and every rule passing."""
    base = CaseInput(
        procedure=procedure("high"),
        planned_start=START,
        planned_end=END,
        urgency="routine",
        patient=PatientInput(age_years=60, weight_kg=75, sex="female"),
        labs=GOOD_LABS,
        medications=(),
        allergies=(),
        contrast_route="none",
        sedation="none",
        last_intake=None,
        consent="signed",
    )
    return replace(base, **overrides)


def labs_with(*labs: Lab, without: tuple[str, ...] = ()) -> tuple[Lab, ...]:
    """GOOD_LABS with the given analytes replaced (and `without` removed)."""
    replaced = {lab.analyte for lab in labs} | set(without)
    return tuple(lab for lab in GOOD_LABS if lab.analyte not in replaced) + labs


def run(case: CaseInput, policy: SitePolicy = POLICY, now: datetime = NOW) -> Evaluation:
    return evaluate(case, now=now, policy=policy)


def statuses(evaluation: Evaluation, rule_id: str) -> list[str]:
    return [f.status for f in evaluation.findings if f.rule_id == rule_id]


def only(evaluation: Evaluation, rule_id: str) -> Any:
    found = evaluation.by_rule(rule_id)
    assert len(found) == 1, f"{rule_id}: {[f.message for f in evaluation.findings]}"
    return found[0]
