"""Real vendor files from ../shared/data/rdsr through `irflow import-rdsr` (skipped if absent).

Expected totals are those of ../shared/data/README.md (OpenREM's figures, Gy·cm²).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from irflow.dose.models import IrradiationEventXrayData, RadiationDoseReport, ReceivedObject
from irflow.testing.tools import shared_data

pytestmark = pytest.mark.django_db

# file: (DAP Gy·cm², Ka,r mGy, fluoro time s) from the README; None where it gives none.
README_TOTALS = {
    "RF-RDSR-Siemens-Zee.dcm": (0.16, 2.52, 28.0),
    "RF-RDSR-Philips_Allura.dcm": (1.536, 4.27, 13.0),
    "RF-RDSR-GE.dcm": (2.413, 11.73, 72.46),
    "RF-RDSR-Canon-Ultimaxi-mGyDoseAtRP.dcm": (12.66, 30.57, 111.0),
    "DX-RDSR-Canon_CXDI.dcm": (0.107, None, None),
}
CT_FILES = {
    "CT-RDSR-Siemens_Flash-TAP-SS.dcm",
    "CT-ESR-GE_VCT.dcm",
    "CT-RDSR-Toshiba_MultiValSD.dcm",
}
REFUSED = {
    "ESR_non-dose.dcm": "not 113701 X-Ray Radiation Dose Report",
    "NM-RRDSR-Siemens.dcm": "Radiopharmaceutical dose report",
}


def run(folder) -> tuple[dict[str, dict], CommandError | None]:
    out = io.StringIO()
    error = None
    try:
        call_command("import-rdsr", str(folder), "--json", stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        error = exc
    return {item["file"].rsplit("/", 1)[-1]: item for item in json.loads(out.getvalue())}, error


def close(value: float | None, expected: float) -> bool:
    return value is not None and abs(value - expected) <= 0.005 * expected


def test_vendor_files_match_the_readme_and_import_once():
    folder = shared_data("rdsr")

    results, error = run(folder)

    for name, (dap, ka_r, fluoro) in README_TOTALS.items():
        item = results[name]
        assert item["status"] == "imported", (name, item["reason"])
        assert close(item["dap_total_gy_cm2"], dap), (name, item["dap_total_gy_cm2"])
        if ka_r is None:
            assert item["ka_r_total_mgy"] is None
        else:
            assert close(item["ka_r_total_mgy"], ka_r), (name, item["ka_r_total_mgy"])
        if fluoro is not None:
            assert close(item["fluoro_time_total_s"], fluoro), (name, item["fluoro_time_total_s"])
        assert item["planes"], name
    for name in CT_FILES:
        assert results[name]["status"] == "imported", (name, results[name]["reason"])
        assert results[name]["dlp_total_mgy_cm"] > 0
    for name, reason in REFUSED.items():
        assert results[name]["status"] == "rejected"
        assert reason in results[name]["reason"], results[name]["reason"]
    assert error is not None and error.returncode == 1  # two files were refused

    reports, events = RadiationDoseReport.objects.count(), IrradiationEventXrayData.objects.count()
    received = ReceivedObject.objects.count()
    again, _ = run(folder)

    assert {again[n]["status"] for n in README_TOTALS.keys() | CT_FILES} == {"duplicate"}
    assert {again[n]["status"] for n in REFUSED} == {"rejected"}
    assert RadiationDoseReport.objects.count() == reports
    assert IrradiationEventXrayData.objects.count() == events
    assert ReceivedObject.objects.count() == received
    for name in README_TOTALS:
        assert again[name]["ka_r_total_mgy"] == results[name]["ka_r_total_mgy"]
