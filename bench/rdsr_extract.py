"""RDSR extraction time against a plain pydicom read and content-tree walk of the same bytes.

    .venv/bin/python bench/rdsr_extract.py [--events 316] [--repeats 5] [--file some.dcm]

Builds a synthetic biplane X-Ray Radiation Dose SR the size of a long angiography case (316
events with Philips-style private rows: about 3 MB and 15,000 content items), or reads
``--file``, then times, interleaved in one process: ``irflow.dicom.rdsr.extract(bytes)`` and
``pydicom.dcmread`` followed by a walk visiting every content item and touching its concept
name and measured value with units. Prints the medians and their ratio; absolute times depend
on the machine, the ratio is the figure to watch (target ≤ 0.1, hard limit 0.3). Exits with
status 1 above the hard limit.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset

from irflow.dicom.rdsr import extract
from irflow.dicom.rdsr_builder import ProjectionRdsr, make_events

HARD_LIMIT = 0.3


def pydicom_walk(data: bytes) -> int:
    """Read with pydicom and visit the whole content tree; returns the items visited."""

    def walk(dataset: Dataset) -> int:
        visited = 0
        for item in dataset.get("ContentSequence", ()):
            visited += 1
            for concept in item.get("ConceptNameCodeSequence", ()):
                _ = (concept.CodeValue, concept.CodingSchemeDesignator, concept.CodeMeaning)
            for measured in item.get("MeasuredValueSequence", ()):
                _ = measured.get("NumericValue")
                for unit in measured.get("MeasurementUnitsCodeSequence", ()):
                    _ = (unit.CodeValue, unit.CodingSchemeDesignator)
            visited += walk(item)
        return visited

    return walk(dcmread(io.BytesIO(data)))


def timed(function: Callable[[bytes], object], data: bytes) -> float:
    start = time.perf_counter()
    function(data)
    return time.perf_counter() - start


def arguments(doc: str | None) -> argparse.Namespace:
    """The options both RDSR benchmarks take."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=316)
    parser.add_argument("--private-rows", type=int, default=17, help="private items per event")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--file", type=Path, help="time this file instead of a synthetic one")
    return parser.parse_args()


def sample(args: argparse.Namespace) -> tuple[bytes, str]:
    """The RDSR to time: `--file`, or a synthetic biplane report; and how to name it."""
    if args.file:
        return args.file.read_bytes(), str(args.file)
    started = time.perf_counter()
    rdsr = ProjectionRdsr(
        events=make_events(args.events, seed=316, biplane=True),
        private_items_per_event=args.private_rows,
    )
    data = rdsr.to_bytes()
    return data, f"synthetic, {args.events} events (built in {time.perf_counter() - started:.1f} s)"


def main() -> int:
    args = arguments(__doc__)
    data, label = sample(args)

    report = extract(data)
    visited = pydicom_walk(data)
    print(f"{label}: {len(data) / 1e6:.2f} MB, {report.content_item_count} content items")
    assert visited == report.content_item_count, (visited, report.content_item_count)

    fast: list[float] = []
    slow: list[float] = []
    for _ in range(args.repeats):
        fast.append(timed(extract, data))
        slow.append(timed(pydicom_walk, data))
    fast_median, slow_median = statistics.median(fast), statistics.median(slow)
    ratio = fast_median / slow_median
    print(f"extract()               median {fast_median * 1000:8.1f} ms  ({args.repeats} runs)")
    print(f"dcmread + content walk  median {slow_median * 1000:8.1f} ms  ({args.repeats} runs)")
    print(f"ratio {ratio:.3f} (target ≤ 0.1, hard limit {HARD_LIMIT})")
    return 0 if ratio <= HARD_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
