"""External tools the suite uses as real peers (dcmtk, chromium, pdftotext): skip without
them, except under IRFLOW_STRICT=1 (CI), where a missing tool is a failure.

Loaded as a pytest plugin (the root conftest.py): at the end of a run it sums up the tests
skipped for a missing tool by group of scripts/packages.txt, with the command that installs
what they need.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
PACKAGES_FILE = REPO / "scripts" / "packages.txt"
# The words every "missing tool" skip ends with; the summary reads the package from them.
MISSING_PACKAGE = re.compile(r"\(apt install ([a-z0-9][a-z0-9.+-]*)\)")


def missing_tool_message(what: str, package: str) -> str:
    return f"{what} is not installed (apt install {package})"


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = missing_tool_message(name, package)
        if os.environ.get("IRFLOW_STRICT"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def shared_data(*parts: str) -> Path:
    """A file or folder of ../shared/data (third-party test files, never copied here)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: third-party test data is read from ../shared/data")
    return path


def package_groups(path: Path = PACKAGES_FILE) -> dict[str, str]:
    """Debian package -> its group in scripts/packages.txt (`group package...` lines)."""
    groups: dict[str, str] = {}
    if not path.is_file():
        return groups
    for line in path.read_text().splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            groups.update((package, words[0]) for package in words[1:])
    return groups


def skipped_for_packages(reasons: list[str]) -> dict[str, tuple[list[str], int]]:
    """Skip reasons -> {group: (its missing packages, number of tests skipped)}."""
    groups = package_groups()
    counts: Counter[str] = Counter()
    for reason in reasons:
        if match := MISSING_PACKAGE.search(reason):
            counts[match.group(1)] += 1
    summary: dict[str, tuple[list[str], int]] = {}
    for package, count in sorted(counts.items()):
        group = groups.get(package, package)
        packages, total = summary.get(group, ([], 0))
        summary[group] = ([*packages, package], total + count)
    return summary


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            reasons.append(str(longrepr[2]))
    summary = skipped_for_packages(reasons)
    if not summary:
        return
    write = terminalreporter.write_line
    terminalreporter.section("skipped for want of system packages", yellow=True)
    for group, (packages, count) in summary.items():
        write(f"{group:<10} {count:>4} test{'s' if count != 1 else ''}  ({', '.join(packages)})")
    every = " ".join(p for packages, _ in summary.values() for p in packages)
    write(f"Install them as root: apt-get install --no-install-recommends {every}")
    write("(./test run as root with apt installs them itself: scripts/packages.txt.)")
