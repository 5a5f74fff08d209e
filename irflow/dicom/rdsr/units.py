"""Units of measurement in dose reports, normalised by the unit the file gives.

Each :class:`Quantity` lists the UCUM units it accepts and the factor to irflow's unit (the
unit in the field name: Gy·cm², mGy, s, ms, mA, mAs, kV, mm, deg, mGy·cm). A unit not in
the table is refused, never guessed: a DAP in an unknown unit is worse than no DAP.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# Non-UCUM spellings seen in real files, with the UCUM unit they stand for. Reading them is
# safe because the intent is unambiguous; each use is still reported as a warning.
NON_UCUM_ALIASES = MappingProxyType(
    {
        "Gym2": "Gy.m2",  # Siemens AXIOM-Artis
        "mGycm": "mGy.cm",  # GE LightSpeed
        "Gycm": "Gy.cm",
        "uAs": "uA.s",  # GE, Siemens
        "mAs": "mA.s",
        "As": "A.s",
        "pulse/s": "{pulse}/s",  # GE Super-C
    }
)

UCUM = "UCUM"
# GE Super-C writes "UCM"; nothing else could be meant.
UNIT_SCHEME_TYPOS = MappingProxyType({"UCM": UCUM})


@dataclass(frozen=True, slots=True)
class Quantity:
    """A kind of measurement: its name for messages and the factors to irflow's unit."""

    name: str
    factors: MappingProxyType[str, float]
    # Counts and ratios: UCUM allows any curly-brace annotation ("{pulses}") for unity.
    dimensionless: bool = False

    def factor(self, unit: str) -> float | None:
        """Return the factor from ``unit`` to irflow's unit, or None when not understood."""
        found = self.factors.get(unit)
        if found is None and self.dimensionless and unit.startswith("{") and unit.endswith("}"):
            return 1.0
        return found


def _quantity(name: str, factors: dict[str, float], *, dimensionless: bool = False) -> Quantity:
    return Quantity(name, MappingProxyType(factors), dimensionless)


def _scaled(factors: dict[str, float], by: float) -> dict[str, float]:
    return {unit: factor * by for unit, factor in factors.items()}


_DOSE_PREFIXES = {"": 1.0, "d": 0.1, "c": 0.01, "m": 1e-3, "u": 1e-6}
_AREAS_CM2 = {"m2": 1e4, "dm2": 100.0, "cm2": 1.0, "mm2": 0.01}
_LENGTHS_CM = {"m": 100.0, "cm": 1.0, "mm": 0.1}
_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0, "h": 3600.0}

DOSE_AREA_PRODUCT = _quantity(
    "dose area product (Gy·cm²)",
    {
        f"{prefix}Gy.{area}": dose * cm2
        for prefix, dose in _DOSE_PREFIXES.items()
        for area, cm2 in _AREAS_CM2.items()
    },
)
AIR_KERMA = _quantity(
    "dose / air kerma (mGy)",
    {f"{prefix}Gy": dose * 1e3 for prefix, dose in _DOSE_PREFIXES.items()},
)
DOSE_LENGTH_PRODUCT = _quantity(
    "dose length product (mGy·cm)",
    {
        f"{prefix}Gy.{length}": dose * 1e3 * cm
        for prefix, dose in _DOSE_PREFIXES.items()
        for length, cm in _LENGTHS_CM.items()
    },
)
TIME_S = _quantity("time (s)", _SECONDS)
TIME_MS = _quantity("time (ms)", _scaled(_SECONDS, 1e3))
CURRENT_MA = _quantity("tube current (mA)", {"mA": 1.0, "uA": 1e-3, "A": 1e3})
EXPOSURE_MAS = _quantity("exposure (mAs)", {"mA.s": 1.0, "uA.s": 1e-3, "A.s": 1e3})
VOLTAGE_KV = _quantity("tube voltage (kV)", {"kV": 1.0, "V": 1e-3})
LENGTH_MM = _quantity("length (mm)", {"mm": 1.0, "cm": 10.0, "m": 1e3, "um": 1e-3})
ANGLE_DEG = _quantity("angle (deg)", {"deg": 1.0})
RATE_PER_S = _quantity(
    "pulse rate (/s)",
    {"{pulse}/s": 1.0, "{pulses}/s": 1.0, "/s": 1.0, "1/s": 1.0, "Hz": 1.0},
)
COUNT = _quantity("count", {"1": 1.0}, dimensionless=True)
RATIO = _quantity("ratio", {"1": 1.0}, dimensionless=True)
PERCENT = _quantity("percentage", {"%": 1.0})
