"""Every message the clinical core produces, as a template; tests assert on these constants.

Messages are written for the nurse or technologist who acts on them. Numbers are filled in
from the rule data, never written here.
"""

from __future__ import annotations

from typing import Final

# ---------------------------------------------------------------- labels
ANALYTE_LABELS: Final = {
    "inr": "INR",
    "platelets": "Platelets",
    "haemoglobin": "Haemoglobin",
    "creatinine": "Creatinine",
    "egfr": "eGFR",
    "fibrinogen": "Fibrinogen",
}
COMPARE_SYMBOLS: Final = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}
UNIT_WORDS: Final = {"h": "h", "doses": "doses", "days": "days"}
UNIT_WORDS_ONE: Final = {"h": "h", "doses": "dose", "days": "day"}
INTAKE_LABELS: Final = {
    "clear": "clear fluids",
    "breast_milk": "breast milk",
    "non_human_milk": "formula or non-human milk",
    "light_meal": "light meal",
    "fatty_meal": "fatty meal",
}
SEDATION_LABELS: Final = {
    "none": "no sedation",
    "local": "local anaesthesia only",
    "minimal": "minimal sedation",
    "moderate": "moderate sedation",
    "deep": "deep sedation",
    "general": "general anaesthesia",
}
ROUTE_LABELS: Final = {
    "iv": "intravenous",
    "ia_first_pass": "intra-arterial (first-pass)",
    "ia_second_pass": "intra-arterial (second-pass)",
}
LAB_CORRECTION: Final = {
    "inr": "correct before the procedure",
    "platelets": "discuss platelet transfusion with the operator",
    "fibrinogen": "discuss correction with the operator",
}

# ---------------------------------------------------------------- bleeding-risk category
CATEGORY_FROM_CATALOGUE: Final = "{risk} bleeding risk (procedure catalogue)."
CATEGORY_OPERATOR_CHOSE: Final = "The operator recorded {risk} bleeding risk."
CATEGORY_OPERATOR_PENDING: Final = (
    "The operator has not recorded the bleeding-risk category (the catalogue says the "
    "operator decides); the case is checked as high risk until then."
)
CATEGORY_MISSING: Final = (
    "The procedure has no bleeding-risk category in the catalogue; the case is checked as "
    "high risk."
)

# ---------------------------------------------------------------- labs
LAB_MISSING: Final = (
    "No {analyte} in the last {days} days before the procedure (required before a {context})."
)
LAB_CONSIDER_INR: Final = (
    "No INR in the last {days} days before the procedure: consider one (patient on {drugs})."
)
LAB_WITHIN: Final = "{analyte} {value} on {date} meets the limit ({op} {limit}) for a {context}."
LAB_OUTSIDE: Final = (
    "{analyte} {value} on {date} does not meet the limit ({op} {limit}) for a {context}: "
    "{correction}."
)
HB_RECORDED: Final = (
    "Haemoglobin {value} on {date} recorded (screened before a {context}; no threshold is set)."
)
CONTEXT_LOW: Final = "low-bleeding-risk procedure"
CONTEXT_HIGH: Final = "high-bleeding-risk procedure"
CONTEXT_ARTERIAL: Final = "low-bleeding-risk procedure with {access} arterial access"
CONTEXT_CLD: Final = "{risk}-bleeding-risk procedure in chronic liver disease"

# ---------------------------------------------------------------- reported, not yet confirmed
REPORTED_UNCONFIRMED: Final = "{text} (Reported by the referrer, not yet confirmed on the chart.)"

# ---------------------------------------------------------------- lab plausibility as typed
IMPLAUSIBLE_LAB_GUESS: Final = (
    "{analyte} {typed} is implausible — did you mean {meant}? (Plausible: {low}–{high}.)"
)
IMPLAUSIBLE_LAB: Final = (
    "{analyte} {typed} is implausible (plausible: {low}–{high}): check the value and its unit."
)
IMPLAUSIBLE_GUESS: Final = "{value} = {converted}"
IMPLAUSIBLE_OR: Final = ", or "

# ---------------------------------------------------------------- medication plan
PLAN_CONTINUE_LOW_RISK: Final = (
    "Continue {label}: do not withhold before a low-bleeding-risk procedure."
)
PLAN_CONTINUE: Final = "Continue {label}: do not withhold."
PLAN_CHECK_INR: Final = "Continue {label}; INR must be {inr_max} or less before the procedure."
PLAN_INR_TARGET: Final = "INR must be {inr_max} or less before the procedure."
PLAN_NOT_COVERED: Final = (
    "{label}: not covered by the hold table for a {risk}-bleeding-risk procedure — team decision."
)
PLAN_BELOW_CRCL_FLOOR: Final = (
    "{label}: CrCl {crcl} mL/min is below the lowest band of the hold table ({floor} mL/min) "
    "— team decision."
)
PLAN_HOLD: Final = "Hold {label}: {last_dose} (hold {hold})."
PLAN_HOLD_CASE_BY_CASE: Final = (
    "{label}: hold case by case (team decision); if held, {last_dose} (hold {hold})."
)
PLAN_NO_FREQUENCY: Final = (
    "Hold {label} {hold}: the dosing frequency is not recorded, so the last allowed dose "
    "cannot be worked out."
)
PLAN_LAST_DOSE_AT: Final = "last dose {when}"
PLAN_LAST_DOSE_BY: Final = "last dose no later than {when}"
PLAN_LAST_DOSE_ON: Final = "last dose on {day} at the latest"
PLAN_RESTART_NEXT_USUAL: Final = "Next usual dose: {when}."
PLAN_RESTART_FROM: Final = "Restart from {when}."
PLAN_RESTART_TEAM: Final = "Restart is a team decision."
PLAN_RESTART_NEEDS_END: Final = "Restart time needs the planned end time."
HOLD_AMOUNT: Final = "{amount} {unit} before the procedure"
HOLD_DOSES_HOURS: Final = "{amount} {unit}, {hours} h before the procedure"
# A hold the source gives as a range: the range as published, then the site's value in it
# (which the last dose is counted from).
HOLD_RANGE: Final = "{low}–{high} {unit} before the procedure, {amount} at this site"
HOLD_RANGE_DOSES_HOURS: Final = (
    "{low}–{high} {unit} before the procedure, {amount} at this site, {hours} h"
)
NOTE_CRCL_UNKNOWN: Final = "CrCl unknown: the longer hold is shown."
NOTE_FREQUENCY_ASSUMED: Final = (
    "Dosing frequency not recorded: the table's usual {per_day} doses a day is assumed."
)
NOTE_BRIDGE: Final = "Thrombotic risk {risk}: bridge {label} with {agent} while it is interrupted."
NOTE_LAB: Final = "Also {lab_note}."

# ---------------------------------------------------------------- medication findings
MEDS_MISSING: Final = "Medication list not recorded: antithrombotics cannot be checked."
MED_HOLD_UPCOMING: Final = "Hold not started yet — tell the patient. {plan}"
MED_LAST_DOSE_MISSING: Final = "Last {label} dose not recorded (the hold started {when}). {plan}"
MED_HELD: Final = "{label} held: last dose {last} is before the hold window."
MED_DOSE_IN_WINDOW: Final = (
    "{label} taken {last}, inside the hold window: tell the operator. {plan}"
)
MED_CRCL_MISSING: Final = (
    "CrCl cannot be worked out (needs age, weight, sex and a creatinine from the last {days} "
    "days): the {label} hold depends on it. {plan}"
)
MED_FREQUENCY_MISSING: Final = (
    "Dosing frequency of {label} not recorded: a hold counted in doses needs it. {plan}"
)
BRIDGING_RISK_MISSING: Final = (
    "{label}: thrombotic risk not recorded — needs review: record the thrombotic risk (low, "
    "moderate or high) to decide on bridging."
)
BRIDGING_NEEDED: Final = (
    "{label} with {risk} thrombotic risk: bridge with {agent} while {label} is interrupted — "
    "plan the bridging with the team."
)
BRIDGING_NOT_NEEDED: Final = (
    "{label} with {risk} thrombotic risk: no bridging (this site bridges {levels} risk)."
)
MED_INR_OK: Final = "{label}: INR {value} on {date} is {limit} or less."
MED_INR_HIGH: Final = (
    "{label}: INR {value} on {date} is above {limit}: correct before the procedure."
)
MED_INR_MISSING: Final = (
    "{label}: no INR in the last {days} days before the procedure (INR must be {limit} or less)."
)

# ---------------------------------------------------------------- contrast and kidney
CONTRAST_PLAN_MISSING: Final = (
    "Contrast plan not recorded (none, intravenous, or intra-arterial first- or second-pass)."
)
DIALYSIS_ANURIC: Final = "Anuric on dialysis: no kidney concern with iodinated contrast."
DIALYSIS_ANURIA_UNKNOWN: Final = "On dialysis: record whether the patient is anuric."
DIALYSIS_RESIDUAL: Final = (
    "On dialysis with residual kidney function: outside the ACR–NKF bands — discuss with the team."
)
AKI_PROPHYLAXIS: Final = (
    "Acute kidney injury: IV saline prophylaxis indicated unless contraindicated."
)
EGFR_MISSING: Final = (
    "No eGFR in the last {days} days before the procedure (needed for {route} contrast)."
)
EGFR_OK: Final = "eGFR {value} on {date}: no prophylaxis needed (≥ {upper})."
EGFR_CONSIDER: Final = (
    "eGFR {value} on {date} is below {upper}: IV saline prophylaxis may be considered case by case."
)
EGFR_LOW: Final = (
    "eGFR {value} on {date} is below {lower}: IV saline prophylaxis indicated unless "
    "contraindicated."
)
KDIGO_HIGH: Final = (
    "eGFR {value} on {date} is below {limit} (KDIGO 2012 high risk, a site option): plan kidney "
    "protection."
)
ROUTE_ARTERIAL_FIRST: Final = (
    "Intra-arterial contrast with first-pass renal exposure: more kidney risk than the IV bands "
    "show — operator to review."
)
ROUTE_ARTERIAL_SECOND_REVIEW: Final = (
    "Intra-arterial contrast with second-pass renal exposure: this site reviews it like "
    "first-pass — operator to review."
)
ALLERGIES_MISSING: Final = "Allergies not recorded; iodinated contrast is planned."
PREMED_NEEDED: Final = "Prior reaction to iodinated contrast: premedication needed. {regimen}"
PREMED_PLANNED: Final = "Prior reaction to iodinated contrast: premedication planned. {regimen}"
SHELLFISH_ONLY: Final = (
    "Shellfish or iodine allergy alone: no premedication needed for iodinated contrast."
)
NO_CONTRAST_REACTION: Final = "No prior reaction to iodinated contrast recorded."
PREMED_TOO_LATE: Final = (
    "Prior reaction to iodinated contrast: the {regimen} schedule can no longer be met — its "
    "first dose was due {first}, before it was planned ({planned}). {instead}"
)
PREMED_USE_ACCELERATED: Final = (
    "The accelerated IV regimen still fits (first dose now, at least {hours} h before "
    "contrast), or book a later slot."
)
PREMED_LATER_SLOT: Final = (
    "Even the accelerated IV regimen needs {hours} h before contrast: book a slot from "
    "{earliest}, or decide with the operator."
)
PREMED_NEEDS_FIRST_DOSE: Final = "The accelerated regimen needs the time of the first dose."
PREMED_FIRST_AFTER_CONTRAST: Final = "The first dose must be before the contrast time."
PREMED_UNKNOWN_REGIMEN: Final = "Unknown premedication regimen {regimen!r}."

# ---------------------------------------------------------------- fasting
SEDATION_MISSING: Final = "Sedation plan not recorded: fasting cannot be checked."
FASTING_NOT_NEEDED: Final = "No fasting needed with {sedation}."
INTAKE_MISSING: Final = "Last food and drink times not recorded (needed for {sedation})."
FASTED: Final = "Fasted for {sedation}: {details}."
FASTED_NOTHING: Final = "nothing by mouth reported"
FASTED_ITEM: Final = "{kind} {at} ({hours} h before)"
NOT_FASTED: Final = "Not fasted for {sedation}: {details}."
NOT_FASTED_URGENT: Final = (
    "Short fast before {sedation} ({details}): urgent sedation is not delayed on fasting time "
    "alone — the team weighs the aspiration risk."
)
NOT_FASTED_ITEM: Final = "{kind} at {at} needs {hours} h (until {until})"
FAST_ALREADY_DUE: Final = (
    "The fast is already due (no solid food after {solid}, clear fluids until {clear}): ask "
    "the patient when they last ate and drank, or move the case."
)
FASTING_SUMMARY: Final = "No solid food after {solid}, clear fluids until {clear}."
FASTING_DETAIL: Final = "Latest times by kind: {details}."
FASTING_DETAIL_ITEM: Final = "{kind} {until}"

# ---------------------------------------------------------------- consent and state
CONSENT_SIGNED: Final = "Consent signed."
CONSENT_PENDING: Final = "Consent not signed yet."
CONSENT_NOT_REQUIRED: Final = "Consent recorded as not required."
CONSENT_MISSING: Final = "Consent status not recorded."
EMERGENT_NOTICE: Final = (
    "Emergent case: nothing here blocks the procedure; the findings show what is missing."
)

# ---------------------------------------------------------------- radiation
ALERT_NOTIFICATION: Final = (
    "Reference air kerma {value} reached the notification level of {threshold}: tell the operator."
)
ALERT_SRDL: Final = (
    "{quantity} {value} reached the substantial radiation dose level of {threshold}: tell the "
    "patient, record it and book skin follow-up."
)
ALERT_REVIEW: Final = (
    "Cumulative skin dose {value} reached the review trigger of {threshold}: review the "
    "patient's dose history."
)
ALERT_CUMULATIVE_SRDL: Final = (
    "Cumulative {quantity} {value} mGy from {count} procedures within {days} days reached the "
    "substantial radiation dose level of {threshold} mGy: tell the patient, record it and "
    "book skin follow-up."
)
CUMULATIVE_CONTRIBUTION: Final = "{on} · {label}: Ka,r {ka_r} mGy, {psd}"
PSD_NOT_KNOWN: Final = "PSD not known"
RADIATION_BAD_VALUE: Final = "{quantity} must be a finite number of zero or more."

# ---------------------------------------------------------------- outcomes
PAIN_OUT_OF_SCALE: Final = "Pain score {score!r} is not a whole number from {low} to {high}."
AE_UNKNOWN_SYSTEM: Final = "Unknown adverse-event system {system!r}; known: {known}."
AE_UNKNOWN_GRADE: Final = "{system} has no grade {code!r}; grades: {known}."
CHECKLIST_UNKNOWN_PHASE: Final = "Unknown checklist phase {phase!r}; phases: {known}."

# ---------------------------------------------------------------- site policy
POLICY_UNKNOWN_RULE: Final = "Site policy names an unknown rule: {rule_id}."
POLICY_NOT_A_MAPPING: Final = "Site policy for {rule_id} must map parameter names to values."
POLICY_UNKNOWN_PARAM: Final = "{rule_id} has no parameter {param}."
POLICY_NOT_CONFIGURABLE: Final = "{rule_id} {param} is a published value; a site cannot change it."
POLICY_NOT_A_NUMBER: Final = "{rule_id} {param}: {value!r} is not a number of zero or more."
POLICY_NOT_WHOLE: Final = "{rule_id} {param}: {value} must be a whole number."
POLICY_OUT_OF_RANGE: Final = (
    "{rule_id} {param}: {value} is outside the published range {low}–{high} {unit}."
)
POLICY_OUT_OF_BOUNDS: Final = (
    "{rule_id} {param}: {value} is outside the allowed {low}–{high} {unit}."
)
POLICY_NOT_A_FLAG: Final = "{rule_id} {param}: {value!r} must be true or false."
POLICY_NOT_A_CHOICE: Final = "{rule_id} {param}: {value!r} must be one of {choices}."
POLICY_NOT_A_LIST: Final = "{rule_id} {param}: {value!r} must be a list."
POLICY_ORDER: Final = "{rule_id} {param} must be greater than {other}."
POLICY_BAD_TIMEZONE: Final = "Site time zone {timezone!r} is not a known IANA zone."

# ---------------------------------------------------------------- inputs
INPUT_INVALID: Final = "{field}: {reason}"
INPUT_NOT_ONE_OF: Final = "must be one of {options}"
INPUT_NAIVE_DATETIME: Final = "must be a date and time with a time zone"
INPUT_NOT_A_NUMBER: Final = "must be a finite number"
INPUT_NEGATIVE: Final = "must not be negative"
INPUT_NOT_POSITIVE: Final = "must be above zero"
INPUT_EMPTY: Final = "must not be empty"
INPUT_DOSE_TIMES: Final = "must be clock times without a time zone"
INPUT_END_BEFORE_START: Final = "must not be before the planned start"
