"""Cockcroft-Gault creatinine clearance (µmol/L form), for the CrCl bands of the hold table."""

from __future__ import annotations

from irflow.clinical.inputs import Sex
from irflow.clinical.policy import DEFAULT_POLICY, SitePolicy

CG_RULE = "cockcroft-gault.crcl"


def cockcroft_gault(
    *,
    age_years: float | None,
    weight_kg: float | None,
    sex: Sex | None,
    creatinine_umol_l: float | None,
    policy: SitePolicy = DEFAULT_POLICY,
) -> float | None:
    """CrCl in mL/min from age, actual weight, sex and serum creatinine; None if any is missing.

    (age_from - age) * weight * factor / creatinine, factor 1.23 male / 1.04 female (from the
    rule data); a negative result is reported as 0.
    """
    if age_years is None or weight_kg is None or sex is None or not creatinine_umol_l:
        return None
    factor = policy.number(CG_RULE, "factor_male" if sex == "male" else "factor_female")
    crcl = (policy.number(CG_RULE, "age_from") - age_years) * weight_kg * factor / creatinine_umol_l
    return max(crcl, 0.0)


def cockcroft_gault_mg_dl(
    *,
    age_years: float,
    weight_kg: float,
    sex: Sex,
    creatinine_mg_dl: float,
    policy: SitePolicy = DEFAULT_POLICY,
) -> float:
    """The original mg/dL form, kept to check the SI factors against it."""
    crcl = (policy.number(CG_RULE, "age_from") - age_years) * weight_kg
    crcl /= policy.number(CG_RULE, "mg_dl_divisor") * creatinine_mg_dl
    if sex == "female":
        crcl *= policy.number(CG_RULE, "female_multiplier")
    return max(crcl, 0.0)
