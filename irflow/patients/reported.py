"""Reading what a referrer wrote — one medication or allergy per line — into chart entries.

Only what the words make plain is read (a known antithrombotic, a dose, a frequency, a
contrast reaction); everything stays "reported — to confirm" until the team confirms it, with
the referrer's words kept beside it. Unknown words stay as written, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from irflow.patients.drugs import ANTITHROMBOTICS

MAX_LINES = 30
MAX_LINE = 300
# Plain drug names of the antithrombotics the rules know (names with a variant, e.g.
# enoxaparin prophylactic/therapeutic, are left for the team to choose).
_DRUG_WORDS = {key: key for key in ANTITHROMBOTICS if "_" not in key} | {
    "eliquis": "apixaban",
    "xarelto": "rivaroxaban",
    "lixiana": "edoxaban",
    "savaysa": "edoxaban",
    "pradaxa": "dabigatran",
    "plavix": "clopidogrel",
    "brilinta": "ticagrelor",
    "coumadin": "warfarin",
    "asa": "aspirin",
}
_FREQUENCIES = [
    (r"\b(bd|bid|twice (a )?daily|twice a day|2x ?daily|every 12 ?h)\b", "bd"),
    (r"\b(tds|tid|three times (a )?daily|every 8 ?h)\b", "tds"),
    (r"\b(qds|qid|four times (a )?daily|every 6 ?h)\b", "qds"),
    (r"\b(od|qd|once (a )?daily|daily|once a day|mane|nocte|every 24 ?h)\b", "od"),
    (r"\b(weekly|once a week)\b", "weekly"),
    (r"\b(prn|as needed|when needed)\b", "prn"),
]
_DOSE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(mg|mcg|µg|g|units?|iu|ml)\b", re.IGNORECASE)
_ALLERGY_CATEGORIES = [
    (r"gadolin|gadoter|gadobut|dotarem|gadovist|\bmri contrast", "gadolinium"),
    (
        r"contrast|x-?ray dye|\bdye\b|iodinated|iohexol|iodixanol|iopamidol|iomeprol|"
        r"omnipaque|visipaque|isovue|iomeron|ultravist|iopromide",
        "iodinated_contrast",
    ),
    (r"latex", "latex"),
    (r"shellfish|seafood|prawn|shrimp|crab|lobster", "shellfish"),
    (r"iodine|betadine|povidone", "iodine"),
    (
        r"cillin|cephal|cef|sulf|sulpha|codeine|morphine|aspirin|nsaid|ibuprofen|"
        r"diclofenac|vancomycin|chlorhexidine|lidocaine|lignocaine|heparin",
        "drug",
    ),
    (r"peanut|\bnut|egg|milk|wheat|soy|fish", "food"),
]
_SEVERITIES = [
    (r"anaphyla|severe|intubat|cardiac arrest|shock|angioedema|bronchospasm", "severe"),
    (r"moderate", "moderate"),
    (r"mild", "mild"),
]
_SPLIT = re.compile(r"\s+[—–-]\s+|:\s*|\s*\(\s*")


def lines(text: str | Iterable[str]) -> list[str]:
    """Non-empty lines of what was written (a text, or a list of lines), trimmed."""
    raw = text.splitlines() if isinstance(text, str) else [str(t) for t in text]
    return [line.strip(" \t•*-·;,") for line in raw if line.strip(" \t•*-·;,")]


def medication_from_text(text: str) -> dict[str, Any]:
    """The chart fields a medication line makes plain ('Apixaban 5 mg twice daily')."""
    lower = text.lower()
    drug = next((key for word, key in _DRUG_WORDS.items() if re.search(rf"\b{word}\b", lower)), "")
    fields: dict[str, Any] = {
        "name": text[:200],
        "drug": drug,
        "is_antithrombotic": drug in ANTITHROMBOTICS,
    }
    dose = _DOSE.search(text)
    if dose:
        fields["dose"] = Decimal(dose.group(1).replace(",", "."))
        fields["dose_unit"] = dose.group(2).lower().replace("µg", "mcg")
    for pattern, frequency in _FREQUENCIES:
        if re.search(pattern, lower):
            fields["frequency"] = frequency
            break
    return fields


def allergy_from_text(text: str) -> dict[str, Any]:
    """The chart fields an allergy line makes plain ('Iodinated contrast — hives, 2019')."""
    lower = text.lower()
    category = next(
        (cat for pattern, cat in _ALLERGY_CATEGORIES if re.search(pattern, lower)), "other"
    )
    severity = next((sev for pattern, sev in _SEVERITIES if re.search(pattern, lower)), "")
    agent, _, reaction = _split(text)
    return {
        "agent": agent[:200],
        "category": category,
        "severity": severity,
        "reaction": reaction.rstrip(")").strip()[:300],
    }


def _split(text: str) -> tuple[str, str, str]:
    match = _SPLIT.search(text)
    if match is None:
        return text.strip(), "", ""
    return text[: match.start()].strip(), match.group(0), text[match.end() :].strip()
