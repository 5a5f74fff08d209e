"""Lab values as typed: both sides of every plausibility limit, the likely units, site changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irflow.clinical import SitePolicy
from irflow.clinical import messages as msg
from irflow.clinical.inputs import ANALYTES
from irflow.clinical.plausibility import LIMITS, lab_plausibility, plausible_limits
from irflow.clinical.rules import rule
from irflow.clinical.tests.templates import matches

# (analyte, low, high) as published in lab-plausibility.toml; the step is below the limits'
# precision (lab values are stored with two decimals).
LIMIT_TABLE = [
    ("inr", 0.5, 15),
    ("platelets", 1, 1500),
    ("haemoglobin", 30, 250),
    ("creatinine", 10, 2500),
    ("egfr", 1, 200),
    ("fibrinogen", 0.1, 15),
]
STEP = 0.01


def test_the_table_is_the_rule_data() -> None:
    assert {a for a, _, _ in LIMIT_TABLE} == set(ANALYTES)
    for analyte, low, high in LIMIT_TABLE:
        assert plausible_limits(analyte) == (low, high)  # type: ignore[arg-type]
    assert rule(LIMITS).confidence == "U"  # plausibility limits are site defaults, not facts


@pytest.mark.parametrize(("analyte", "low", "high"), LIMIT_TABLE)
@pytest.mark.parametrize(
    ("where", "plausible"),
    [("low", True), ("below_low", False), ("high", True), ("above_high", False)],
)
def test_both_sides_of_each_limit(
    analyte: str, low: float, high: float, where: str, plausible: bool
) -> None:
    value = {
        "low": low,
        "below_low": round(low - STEP, 2),
        "high": high,
        "above_high": high + STEP,
    }[where]
    found = lab_plausibility(analyte, value)  # type: ignore[arg-type]
    assert (found is None) == plausible, (analyte, value)
    if found is not None:
        assert found.low == low and found.high == high
        assert found.rule_id == LIMITS


@pytest.mark.parametrize(
    ("analyte", "value", "expected"),
    [
        (
            "haemoglobin",
            13,
            "Haemoglobin 13 g/L is implausible — did you mean 13 g/dL = 130 g/L, or "
            "13 mmol/L = 209 g/L? (Plausible: 30–250 g/L.)",
        ),
        (
            "platelets",
            2000,
            "Platelets 2000 ×10⁹/L is implausible — did you mean 2000 /µL = 2 ×10⁹/L? "
            "(Plausible: 1–1500 ×10⁹/L.)",
        ),
        (
            "creatinine",
            1.2,
            "Creatinine 1.2 µmol/L is implausible — did you mean 1.2 mg/dL = 106 µmol/L? "
            "(Plausible: 10–2500 µmol/L.)",
        ),
        (
            "fibrinogen",
            300,
            "Fibrinogen 300 g/L is implausible — did you mean 300 mg/dL = 3 g/L? "
            "(Plausible: 0.1–15 g/L.)",
        ),
        ("inr", 25, "INR 25 is implausible (plausible: 0.5–15): check the value and its unit."),
    ],
)
def test_the_warning_names_the_likely_unit(analyte: str, value: float, expected: str) -> None:
    found = lab_plausibility(analyte, value)  # type: ignore[arg-type]
    assert found is not None
    assert found.message == expected
    template = msg.IMPLAUSIBLE_LAB_GUESS if found.guesses else msg.IMPLAUSIBLE_LAB
    assert matches(template, found.message)


def test_a_unit_is_named_only_when_the_value_read_in_it_is_plausible() -> None:
    # 29.9 g/dL would be 299 g/L and 29.9 mmol/L 482 g/L: neither is plausible.
    found = lab_plausibility("haemoglobin", 29.9)
    assert found is not None and found.guesses == ()
    # 900 000 per µL is 900 ×10⁹/L: plausible, so the per-µL reading is offered.
    found = lab_plausibility("platelets", 900_000)
    assert found is not None and [g.unit for g in found.guesses] == ["/µL"]


def test_a_site_moves_the_limits_and_drops_units_it_never_uses() -> None:
    site = SitePolicy.from_mapping(
        {
            LIMITS: {"haemoglobin_low": 40},
            "lab-plausibility.units": {"haemoglobin_units": ["g/dL"]},
        }
    )
    assert lab_plausibility("haemoglobin", 35) is None
    found = lab_plausibility("haemoglobin", 35, site)
    assert found is not None and found.low == 40
    found = lab_plausibility("haemoglobin", 13, site)
    assert found is not None and [g.unit for g in found.guesses] == ["g/dL"]


@given(
    analyte=st.sampled_from(ANALYTES),
    fraction=st.floats(min_value=0, max_value=1),
)
def test_every_value_inside_the_limits_is_plausible(analyte: str, fraction: float) -> None:
    low, high = plausible_limits(analyte)  # type: ignore[arg-type]
    value = min(high, max(low, low + (high - low) * fraction))
    assert lab_plausibility(analyte, value) is None  # type: ignore[arg-type]


@given(
    analyte=st.sampled_from(ANALYTES),
    beyond=st.floats(min_value=0.001, max_value=1e6, allow_nan=False),
    above=st.booleans(),
)
def test_every_value_outside_is_named_never_converted(
    analyte: str, beyond: float, above: bool
) -> None:
    low, high = plausible_limits(analyte)  # type: ignore[arg-type]
    value = high + beyond if above else max(0.0, low - beyond)
    if low <= value <= high:
        return
    found = lab_plausibility(analyte, value)  # type: ignore[arg-type]
    assert found is not None
    assert found.value == value  # the typed value is kept as it is
    assert msg.ANALYTE_LABELS[analyte] in found.message


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown analyte"):
        lab_plausibility("potassium", 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        lab_plausibility("inr", float("nan"))
