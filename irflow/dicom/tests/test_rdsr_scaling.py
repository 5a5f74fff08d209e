"""Large reports: the work done grows linearly with the events, and 316 events read right.

No wall-clock assertions here; ``bench/rdsr_extract.py`` measures speed.
"""

from collections import Counter

import pytest

from irflow.dicom.rdsr import extract
from irflow.dicom.rdsr import walker as walker_module
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events


def walker_calls(events: int, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many datasets and sequences the byte walker visits for ``events`` events."""
    calls: Counter[str] = Counter()
    walker = walker_module._Walker
    original_dataset, original_sequence = walker.dataset, walker.sequence

    def dataset(self, *args, **kwargs):
        calls["dataset"] += 1
        return original_dataset(self, *args, **kwargs)

    def sequence(self, *args, **kwargs):
        calls["sequence"] += 1
        return original_sequence(self, *args, **kwargs)

    monkeypatch.setattr(walker, "dataset", dataset)
    monkeypatch.setattr(walker, "sequence", sequence)
    try:
        extract(ProjectionRdsr(events=make_events(events, seed=5)).to_bytes())
    finally:
        monkeypatch.undo()
    return calls


def test_walker_visits_grow_linearly_with_events(monkeypatch):
    base, plus_one, plus_thirty = (walker_calls(n, monkeypatch) for n in (10, 11, 40))

    for kind in ("dataset", "sequence"):
        per_event = plus_one[kind] - base[kind]
        # Fluoro events carry one row more (Fluoro Mode): allow that much per event.
        assert 30 * (per_event - 5) <= plus_thirty[kind] - base[kind] <= 30 * (per_event + 5)


@pytest.mark.slow
def test_316_event_report_reads_completely():
    # As many events as the large Philips case; without its private rows, which only cost
    # build time here (bench/rdsr_extract.py times the full-size file).
    rdsr = ProjectionRdsr(events=make_events(316, seed=316, biplane=True))
    data = rdsr.to_bytes()

    report = extract(data)

    # 29 rows per event, one more for fluoroscopy (Fluoro Mode), 42 for context and planes.
    fluoro = sum(e.is_fluoro for e in rdsr.events)
    assert report.content_item_count == 316 * 29 + fluoro + 42
    assert len(report.events) == 316
    assert [e.event_uid for e in report.events] == [e.uid for e in rdsr.events]
    expected = rdsr.planes()
    assert report.dap_total_gy_cm2 == pytest.approx(
        expected["A"].dap_gy_cm2 + expected["B"].dap_gy_cm2
    )
    assert sum(e.dap_gy_cm2 or 0 for e in report.events) == pytest.approx(report.dap_total_gy_cm2)
    assert report.frames_total == expected["A"].frames + expected["B"].frames
    assert report.warnings == ()
