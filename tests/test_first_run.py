"""A newcomer's first commands, run as they would run them: `irflow` in a subprocess on a
fresh data directory, and the test suite's own summary of what it skipped."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from irflow.testing.service import postgres_database

pytestmark = [pytest.mark.e2e]


def _irflow_env(data_dir: Path, db_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
    env.pop("DATABASE_URL", None)
    env.update(IRFLOW_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="irflow.settings")
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


def test_demo_on_an_empty_data_dir_migrates_first(tmp_path):
    with postgres_database() as db_url:
        result = subprocess.run(
            [sys.executable, "-m", "irflow", "demo", "--patients", "0"],
            env=_irflow_env(tmp_path / "data", db_url),
            capture_output=True,
            text=True,
            timeout=600,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert "Demo data created" in output and "Demo logins" in output


def test_skips_for_a_missing_tool_are_summed_up_with_the_install_command(tmp_path):
    (tmp_path / "test_needs_tools.py").write_text(
        textwrap.dedent(
            """
            from irflow.testing.tools import require_tool

            def test_browser_one():
                require_tool("irflow-no-such-chromium", "chromium")

            def test_browser_two():
                require_tool("irflow-no-such-chromium", "chromium")

            def test_dcmtk():
                require_tool("irflow-no-such-findscu", "dcmtk")

            def test_passes():
                pass
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in {"IRFLOW_STRICT", "PYTEST_ADDOPTS"}}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:django",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-p",
            "irflow.testing.tools",
            "-n",
            "0",
            str(tmp_path / "test_needs_tools.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.split("skipped for want of system packages", 1)[1]
    assert "browser       2 tests  (chromium)" in summary
    assert "dcmtk         1 test  (dcmtk)" in summary
    assert "apt-get install --no-install-recommends chromium dcmtk" in summary
