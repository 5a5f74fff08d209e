"""External tools the suite uses as real peers (dcmtk, chromium): skip without them, except
under IRFLOW_STRICT=1 (CI), where a missing tool is a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt install {package})"
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
