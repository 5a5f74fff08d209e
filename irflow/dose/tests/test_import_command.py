"""`irflow import-rdsr`: files and folders, the documented JSON, the exit status."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from irflow.dicom.rdsr_builder import CtRdsr, NonDoseSr, ProjectionRdsr, make_ct_scans, make_events
from irflow.dose.models import RadiationDoseReport, ReceivedObject, ReceivedStatus

pytestmark = pytest.mark.django_db
KEYS = {
    "file",
    "status",
    "reason",
    "events",
    "dap_total_gy_cm2",
    "ka_r_total_mgy",
    "fluoro_time_total_s",
    "planes",
}


def run(*args) -> tuple[list[dict], CommandError | None]:
    out = io.StringIO()
    error = None
    try:
        call_command("import-rdsr", *args, "--json", stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        error = exc
    return json.loads(out.getvalue()), error


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "exports"
    (root / "room1").mkdir(parents=True)
    biplane = ProjectionRdsr(events=make_events(6, seed=50, biplane=True), seed=50)
    biplane.write(root / "room1" / "biplane.dcm")
    CtRdsr(scans=make_ct_scans(2, seed=51), seed=51).write(root / "ct.dcm")
    (root / ".DS_Store").write_bytes(b"hidden files are skipped")
    return root, biplane


def test_json_per_file_with_planes_and_ct_dlp(folder):
    root, biplane = folder

    results, error = run(str(root))

    assert error is None
    by_name = {item["file"].rsplit("/", 1)[-1]: item for item in results}
    assert set(by_name) == {"biplane.dcm", "ct.dcm"}
    projection = by_name["biplane.dcm"]
    assert set(projection) == KEYS
    assert projection["status"] == "imported" and projection["reason"] == ""
    assert projection["events"] == 6
    planes = {p["plane"]: p for p in projection["planes"]}
    assert set(planes) == {"plane_a", "plane_b"}
    expected = biplane.planes()
    assert planes["plane_a"]["ka_r_total_mgy"] == pytest.approx(expected["A"].dose_rp_mgy)
    assert planes["plane_b"]["dap_total_gy_cm2"] == pytest.approx(expected["B"].dap_gy_cm2)
    assert set(planes["plane_a"]) == {
        "plane",
        "dap_total_gy_cm2",
        "ka_r_total_mgy",
        "fluoro_time_total_s",
    }
    assert projection["ka_r_total_mgy"] == pytest.approx(
        expected["A"].dose_rp_mgy + expected["B"].dose_rp_mgy
    )
    ct = by_name["ct.dcm"]
    assert set(ct) == KEYS | {"dlp_total_mgy_cm"}
    assert ct["dlp_total_mgy_cm"] > 0 and ct["events"] == 2


def test_second_run_imports_nothing_twice(folder):
    root, _ = folder
    run(str(root))

    results, error = run(str(root))

    assert error is None
    assert {item["status"] for item in results} == {"duplicate"}
    assert RadiationDoseReport.objects.count() == 2
    assert ReceivedObject.objects.count() == 2


def test_a_rejected_file_sets_the_exit_status(tmp_path):
    path = tmp_path / "report.dcm"
    NonDoseSr().write(path)

    results, error = run(str(path))

    assert results[0]["status"] == "rejected"
    assert "not 113701 X-Ray Radiation Dose Report" in results[0]["reason"]
    assert results[0]["events"] is None and results[0]["planes"] == []
    assert error is not None and error.returncode == 1
    assert ReceivedObject.objects.get().status == ReceivedStatus.QUARANTINED


def test_reprocess_reads_quarantined_objects_again(tmp_path):
    path = tmp_path / "report.dcm"
    NonDoseSr().write(path)
    run(str(path))

    results, error = run("--reprocess")

    assert [r["status"] for r in results] == ["rejected"]
    assert error is not None and error.returncode == 1
    assert ReceivedObject.objects.get().attempts == 2


def test_usage_errors(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import-rdsr", str(tmp_path / "missing"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Give PATH"):
        call_command("import-rdsr", stdout=io.StringIO())


def test_human_summary(folder):
    root, _ = folder
    out = io.StringIO()

    call_command("import-rdsr", str(root), stdout=out, stderr=io.StringIO())

    assert "2 file(s): 2 imported, 0 duplicate, 0 rejected." in out.getvalue()
