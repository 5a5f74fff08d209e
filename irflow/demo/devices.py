"""The demo's device labels: each kind of device a made-up product with a valid GS1 GTIN or
HIBC code, a few lots shared between patients (so that the recall search finds several), a
serial each, and an expiry two years on."""

from __future__ import annotations

import random
from datetime import date, timedelta

from irflow.procedures.udi import GS1, Udi, gtin_check_digit, hibc_encode

# Device kind -> (issuer, product: a GTIN's first 13 digits, or a HIBC labeler + product + UoM).
PRODUCTS = {
    "ivc_filter": (GS1, "0088483803568"),
    "drain": (GS1, "0501234567890"),
    "ureteric_stent": ("HIBCC", "D729NEPHST0"),
    "nephrostomy": ("HIBCC", "D729NEPH100"),
    "biliary_catheter": (GS1, "0761234500012"),
}
SHEATH = (GS1, "0400123400015")
LOTS = ("2611A", "2611B", "2612C")


def demo_udi(kind: str, rng: random.Random, day: date) -> str:
    """A UDI as the label of a `kind` device used on `day` would carry it."""
    issuer, product = PRODUCTS.get(kind, SHEATH)
    lot = f"{kind[:2].upper()}{rng.choice(LOTS)}"
    serial = f"S{rng.randint(100000, 999999)}"
    expiry = day + timedelta(days=730 + rng.randint(0, 60))
    if issuer == GS1:
        gtin = product + str(gtin_check_digit(product))
        return Udi(GS1, gtin, expiry=expiry, lot=lot, serial=serial).human_readable
    return hibc_encode(product, lot=lot, serial=serial, expiry=expiry)


def demo_sheath_udi(rng: random.Random, day: date) -> str:
    return demo_udi("sheath", rng, day)
