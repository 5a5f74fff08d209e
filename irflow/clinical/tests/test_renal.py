"""Cockcroft-Gault in the µmol/L form, checked against the original mg/dL form."""

from __future__ import annotations

import pytest

from irflow.clinical import DEFAULT_POLICY, cockcroft_gault
from irflow.clinical.renal import CG_RULE, cockcroft_gault_mg_dl


@pytest.mark.parametrize(
    ("age", "weight", "sex", "creatinine", "expected"),
    [
        (60, 75, "female", 80, 78.0),  # (140-60)*75*1.04/80
        (60, 75, "male", 80, 92.25),  # (140-60)*75*1.23/80
        (80, 60, "female", 150, 24.96),
        (140, 70, "male", 100, 0.0),
        (150, 70, "male", 100, 0.0),  # never negative
    ],
)
def test_cockcroft_gault(
    age: float, weight: float, sex: str, creatinine: float, expected: float
) -> None:
    result = cockcroft_gault(age_years=age, weight_kg=weight, sex=sex, creatinine_umol_l=creatinine)  # type: ignore[arg-type]
    assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    "missing",
    [
        {"age_years": None},
        {"weight_kg": None},
        {"sex": None},
        {"creatinine_umol_l": None},
        {"creatinine_umol_l": 0},
    ],
)
def test_missing_input_gives_none(missing: dict[str, object]) -> None:
    args = {"age_years": 60, "weight_kg": 75, "sex": "male", "creatinine_umol_l": 80, **missing}
    assert cockcroft_gault(**args) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("sex", ["male", "female"])
def test_si_factors_agree_with_the_mg_dl_form(sex: str) -> None:
    per_mg_dl = DEFAULT_POLICY.number(CG_RULE, "umol_l_per_mg_dl")
    creatinine_umol = 106.08  # 1.2 mg/dL
    si = cockcroft_gault(age_years=70, weight_kg=80, sex=sex, creatinine_umol_l=creatinine_umol)  # type: ignore[arg-type]
    original = cockcroft_gault_mg_dl(
        age_years=70,
        weight_kg=80,
        sex=sex,  # type: ignore[arg-type]
        creatinine_mg_dl=creatinine_umol / per_mg_dl,
    )
    # The SI factors are rounded to two decimals: agreement within 0.5 %.
    assert si == pytest.approx(original, rel=0.005)
