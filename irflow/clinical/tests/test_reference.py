"""Every number and flag in the clinical reference, mapped to the rule that encodes it."""

from __future__ import annotations

from typing import Any

import pytest

from irflow.clinical import DEFAULT_POLICY, rule

# (rule id, parameter, published value or (low, high) range, confidence)
REFERENCE = [
    # §1 SIR 2019 — thresholds [V]
    ("sir-2019.screening.high-risk", "required", ("inr", "platelets", "haemoglobin"), "V"),
    ("sir-2019.screening.low-risk", "required", (), "V"),
    ("sir-2019.inr.low-risk", "inr_max", (2.0, 3.0), "V"),
    ("sir-2019.inr.high-risk", "inr_max", (1.5, 1.8), "V"),
    ("sir-2019.inr.low-risk-arterial", "femoral_inr_below", 1.8, "V"),
    ("sir-2019.inr.low-risk-arterial", "radial_inr_below", 2.2, "V"),
    ("sir-2019.platelets.low-risk", "platelets_min", 20, "V"),
    ("sir-2019.platelets.high-risk", "platelets_min", 50, "V"),
    # chronic liver disease [U]
    ("sir-2019.cld.low-risk", "platelets_min", 20, "U"),
    ("sir-2019.cld.low-risk", "fibrinogen_min", 100, "U"),
    ("sir-2019.cld.high-risk", "inr_max", 2.5, "U"),
    ("sir-2019.cld.high-risk", "platelets_min", 30, "U"),
    ("sir-2019.cld.high-risk", "fibrinogen_min", 100, "U"),
    # hold table [U]
    ("sir-2019.hold.warfarin", "hold", 5, "U"),
    ("sir-2019.hold.heparin-iv", "hold", (4, 6), "U"),
    ("sir-2019.hold.heparin-iv", "restart", (6, 8), "U"),
    ("sir-2019.hold.heparin-sc", "hold", 6, "U"),
    ("sir-2019.hold.heparin-sc", "restart", (6, 8), "U"),
    ("sir-2019.hold.enoxaparin-prophylactic", "hold", 1, "U"),
    ("sir-2019.hold.enoxaparin-prophylactic", "restart", 12, "U"),
    ("sir-2019.hold.enoxaparin-therapeutic", "hold", 2, "U"),
    ("sir-2019.hold.enoxaparin-therapeutic", "hold_alternative", 24, "U"),
    ("sir-2019.hold.enoxaparin-therapeutic", "restart", 12, "U"),
    ("sir-2019.hold.dalteparin", "hold", 1, "U"),
    ("sir-2019.hold.dalteparin", "restart", 12, "U"),
    ("sir-2019.hold.fondaparinux", "crcl_cut", 50, "U"),
    ("sir-2019.hold.fondaparinux", "hold_crcl_at_or_above_cut", (2, 3), "U"),
    ("sir-2019.hold.fondaparinux", "hold_crcl_below_cut", (3, 5), "U"),
    ("sir-2019.hold.fondaparinux", "restart", 24, "U"),
    ("sir-2019.hold.argatroban", "hold", (2, 4), "U"),
    ("sir-2019.hold.argatroban", "restart", (4, 6), "U"),
    ("sir-2019.hold.bivalirudin", "hold", (2, 4), "U"),
    ("sir-2019.hold.bivalirudin", "restart", (4, 6), "U"),
    ("sir-2019.hold.apixaban", "default_doses_per_day", 2, "U"),
    ("sir-2019.hold.apixaban", "crcl_cut", 50, "U"),
    ("sir-2019.hold.apixaban", "hold_crcl_at_or_above_cut", 4, "U"),
    ("sir-2019.hold.apixaban", "hold_crcl_below_cut", 6, "U"),
    ("sir-2019.hold.apixaban", "restart", 24, "U"),
    ("sir-2019.hold.rivaroxaban", "default_doses_per_day", 1, "U"),
    ("sir-2019.hold.rivaroxaban", "crcl_cut", 30, "U"),
    ("sir-2019.hold.rivaroxaban", "crcl_floor", 15, "U"),
    ("sir-2019.hold.rivaroxaban", "hold_crcl_at_or_above_cut", 2, "U"),
    ("sir-2019.hold.rivaroxaban", "hold_crcl_below_cut", 3, "U"),
    ("sir-2019.hold.rivaroxaban", "restart", 24, "U"),
    ("sir-2019.hold.edoxaban", "default_doses_per_day", 1, "U"),
    ("sir-2019.hold.edoxaban", "hold", 2, "U"),
    ("sir-2019.hold.edoxaban", "restart", 24, "U"),
    ("sir-2019.hold.dabigatran", "default_doses_per_day", 2, "U"),
    ("sir-2019.hold.dabigatran", "crcl_cut", 50, "U"),
    ("sir-2019.hold.dabigatran", "hold_crcl_at_or_above_cut", 4, "U"),
    ("sir-2019.hold.dabigatran", "hold_crcl_below_cut", (6, 8), "U"),
    ("sir-2019.hold.dabigatran", "restart", 24, "U"),
    ("sir-2019.hold.clopidogrel", "hold", 5, "U"),
    ("sir-2019.hold.clopidogrel", "restart", 6, "U"),
    ("sir-2019.hold.clopidogrel", "restart_after_loading_dose", 24, "U"),
    ("sir-2019.hold.prasugrel", "hold", 7, "U"),
    ("sir-2019.hold.ticagrelor", "hold", 5, "U"),
    ("sir-2019.hold.aspirin", "hold", (3, 5), "U"),
    ("sir-2019.hold.abciximab", "hold", 24, "U"),
    ("sir-2019.hold.eptifibatide", "hold", (4, 8), "U"),
    ("sir-2019.hold.tirofiban", "hold", (4, 8), "U"),
    # §2 contrast
    ("acr-nkf-2020.iv-egfr", "no_prophylaxis_from", 45, "V"),
    ("acr-nkf-2020.iv-egfr", "consider_from", 30, "V"),
    ("acr-nkf-2020.kdigo-alternative", "high_risk_below", 45, "S"),
    ("acr-nkf-2020.kdigo-alternative", "enabled", False, "S"),
    ("acr-contrast-premedication.prednisone", "steroid_mg", 50, "V"),
    ("acr-contrast-premedication.prednisone", "steroid_hours_before", (13, 7, 1), "V"),
    ("acr-contrast-premedication.prednisone", "diphenhydramine_mg", 50, "V"),
    ("acr-contrast-premedication.prednisone", "diphenhydramine_hours_before", 1, "V"),
    ("acr-contrast-premedication.methylprednisolone", "steroid_mg", 32, "V"),
    ("acr-contrast-premedication.methylprednisolone", "steroid_hours_before", (12, 2), "V"),
    ("acr-contrast-premedication.accelerated-iv", "steroid_mg", 40, "V"),
    ("acr-contrast-premedication.accelerated-iv", "alternative_steroid_mg", 200, "V"),
    ("acr-contrast-premedication.accelerated-iv", "repeat_every_hours", 4, "V"),
    ("acr-contrast-premedication.accelerated-iv", "diphenhydramine_mg", 50, "V"),
    ("acr-contrast-premedication.accelerated-iv", "diphenhydramine_hours_before", 1, "V"),
    ("acr-contrast-premedication.shellfish-iodine", "agents", ("shellfish", "iodine"), "S"),
    # §3 fasting
    ("asa-fasting.elective", "clear_h", 2, "V"),
    ("asa-fasting.elective", "breast_milk_h", 4, "V"),
    ("asa-fasting.elective", "non_human_milk_h", 6, "V"),
    ("asa-fasting.elective", "light_meal_h", 6, "V"),
    ("asa-fasting.elective", "fatty_meal_h", 8, "V"),
    ("asa-fasting.urgent", "urgencies", ("urgent", "emergent"), "S"),
    ("asa-fasting.physical-status", "classes", ("I", "II", "III", "IV", "V", "VI"), "V"),
    ("asa-fasting.mallampati", "classes", ("I", "II", "III", "IV"), "V"),
    ("asa-fasting.sedation-continuum", "capnography_levels", ("moderate", "deep"), "V"),
    # §5 radiation
    ("ncrp-168-radiation.srdl.ka-r", "threshold", 5, "V"),
    ("ncrp-168-radiation.srdl.psd", "threshold", 3, "S"),
    ("ncrp-168-radiation.srdl.kap", "threshold", 500, "U"),
    ("ncrp-168-radiation.srdl.fluoro-time", "threshold", 60, "U"),
    ("ncrp-168-radiation.notification", "first", 3, "S"),
    ("ncrp-168-radiation.notification", "step", 1, "S"),
    ("ncrp-168-radiation.skin-followup", "from_days", 14, "U"),
    ("ncrp-168-radiation.skin-followup", "to_days", 28, "U"),
    ("ncrp-168-radiation.cumulative-window", "days", 60, "U"),
    ("ncrp-168-radiation.cumulative-review", "threshold", 15, "U"),
    ("ncrp-168-radiation.drl.tace", "kap", 238, "V"),
    ("ncrp-168-radiation.drl.embolisation", "kap", 160, "V"),
    ("ncrp-168-radiation.drl.biliary-intervention", "kap", 66, "V"),
    ("ncrp-168-radiation.drl.drainage", "kap", 36, "V"),
    ("ncrp-168-radiation.drl.stenting", "kap", 56, "V"),
    ("ncrp-168-radiation.drl.angioplasty", "kap", 25, "V"),
    ("ncrp-168-radiation.drl.lower-limb-iliac-angiography", "kap", 210, "V"),
    ("ncrp-168-radiation.drl.biliary-drainage-stenting", "kap", 240, "V"),
    ("ncrp-168-radiation.drl.cerebral-embolisation", "kap", 440, "V"),
    # §7 pain
    ("pain-nrs.scale", "min", 0, "V"),
    ("pain-nrs.scale", "max", 10, "V"),
    ("pain-nrs.bands", "mild_max", 3, "V"),
    ("pain-nrs.bands", "moderate_max", 6, "V"),
    ("pain-nrs.meaningful-change", "points", 2, "S"),
]

# Rules the reference states without numbers; they must exist with this confidence.
FLAG_ONLY = [
    ("sir-2019.category", "V"),
    ("sir-2019.low-risk.do-not-withhold", "U"),
    ("sir-2019.low-risk.warfarin", "U"),
    ("sir-2019.hold.cilostazol", "U"),
    ("acr-nkf-2020.aki", "V"),
    ("acr-nkf-2020.dialysis", "V"),
    ("acr-nkf-2020.route", "S"),
    ("acr-contrast-premedication.prior-reaction", "V"),
    ("adverse-events.sir-2017", "V"),
    ("adverse-events.sir-2017-definitions", "U"),
    ("adverse-events.sir-legacy", "V"),
    ("adverse-events.cirse-2017", "V"),
]


@pytest.mark.parametrize(("rule_id", "param", "expected", "confidence"), REFERENCE)
def test_reference_value_is_encoded(
    rule_id: str, param: str, expected: Any, confidence: str
) -> None:
    r = rule(rule_id)
    spec = r.values[param]
    assert r.confidence == confidence
    if spec.kind == "range":
        assert (spec.low, spec.high) == expected
    elif isinstance(expected, tuple):
        assert tuple(spec.default) == expected  # type: ignore[arg-type]
    else:
        assert spec.default == expected
    resolved = DEFAULT_POLICY.resolve(rule_id, param)
    assert resolved.verified is (confidence != "U")


@pytest.mark.parametrize(("rule_id", "confidence"), FLAG_ONLY)
def test_reference_rule_exists(rule_id: str, confidence: str) -> None:
    assert rule(rule_id).confidence == confidence


def test_hold_table_lists_every_agent_of_the_reference() -> None:
    agents = {
        "warfarin", "heparin_iv", "heparin_sc", "enoxaparin_prophylactic",
        "enoxaparin_therapeutic", "dalteparin", "fondaparinux", "argatroban", "bivalirudin",
        "apixaban", "rivaroxaban", "edoxaban", "dabigatran", "clopidogrel", "prasugrel",
        "ticagrelor", "aspirin", "cilostazol", "abciximab", "eptifibatide", "tirofiban",
    }  # fmt: skip
    from irflow.clinical.rules import rules_where

    encoded = {r.attr("drug") for r in rules_where() if r.attr("drug")}
    assert agents <= encoded


def test_legacy_classes_follow_the_reference() -> None:
    grades = rule("adverse-events.sir-legacy").attr("grades")
    assert {g["code"]: g["class"] for g in grades} == {
        "A": "minor",
        "B": "minor",
        "C": "major",
        "D": "major",
        "E": "major",
        "F": "major",
    }
