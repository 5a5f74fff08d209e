"""Pure-Python clinical decision support: rule sets as versioned data, no Django."""

from irflow.clinical.checklists import PHASES, ChecklistItem, checklist_items
from irflow.clinical.contrast import ScheduledDose, premedication_schedule, suggested_regimen
from irflow.clinical.fasting import FastingPlan, fasting_hours, fasting_plan, needs_fasting
from irflow.clinical.findings import STATE_RANK, Evaluation, Finding, aggregate_state
from irflow.clinical.inputs import (
    Allergy,
    CaseInput,
    InputError,
    Intake,
    Lab,
    Medication,
    PatientInput,
    ProcedureInput,
)
from irflow.clinical.medications import MedicationPlanItem, medication_plan
from irflow.clinical.outcomes import (
    Grade,
    GradeSystem,
    grade,
    grade_system,
    grade_systems,
    map_grade,
    pain_band,
    pain_change_meaningful,
)
from irflow.clinical.policy import DEFAULT_POLICY, PolicyError, ResolvedValue, SitePolicy
from irflow.clinical.radiation import (
    Alert,
    Drl,
    cumulative_review_threshold_mgy,
    cumulative_window_days,
    drl_for,
    drl_groups,
    next_notification_mgy,
    notification_levels,
    radiation_alerts,
    skin_followup_window_days,
)
from irflow.clinical.readiness import evaluate
from irflow.clinical.renal import cockcroft_gault
from irflow.clinical.rules import (
    Rule,
    RuleSet,
    RuleSetError,
    UnknownRuleError,
    rule,
    ruleset,
    rulesets,
)

__all__ = [
    "DEFAULT_POLICY",
    "PHASES",
    "STATE_RANK",
    "Alert",
    "Allergy",
    "CaseInput",
    "ChecklistItem",
    "Drl",
    "Evaluation",
    "FastingPlan",
    "Finding",
    "Grade",
    "GradeSystem",
    "InputError",
    "Intake",
    "Lab",
    "Medication",
    "MedicationPlanItem",
    "PatientInput",
    "PolicyError",
    "ProcedureInput",
    "ResolvedValue",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "ScheduledDose",
    "SitePolicy",
    "UnknownRuleError",
    "aggregate_state",
    "checklist_items",
    "cockcroft_gault",
    "cumulative_review_threshold_mgy",
    "cumulative_window_days",
    "drl_for",
    "drl_groups",
    "evaluate",
    "fasting_hours",
    "fasting_plan",
    "grade",
    "grade_system",
    "grade_systems",
    "map_grade",
    "medication_plan",
    "needs_fasting",
    "next_notification_mgy",
    "notification_levels",
    "pain_band",
    "pain_change_meaningful",
    "premedication_schedule",
    "radiation_alerts",
    "rule",
    "ruleset",
    "rulesets",
    "skin_followup_window_days",
    "suggested_regimen",
]
