"""Durable, content-addressed storage of received objects under DATA_DIR/dicom/dose/.

A file is written to a temporary name in its final folder, flushed and fsynced, renamed over
its final name (atomic on POSIX), and the folder is fsynced so that the rename itself
survives a power cut. Only then may the DICOM listener answer success. The same bytes always
land on the same path, so a re-send never stores a second copy.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

STORE_FOLDER = Path("dicom") / "dose"
TEMP_PREFIX = ".incoming-"


@dataclass(frozen=True)
class StoredFile:
    relative_path: str  # relative to settings.DATA_DIR
    sha256: str
    size_bytes: int


def store_root() -> Path:
    return Path(settings.DATA_DIR) / STORE_FOLDER


def absolute(relative_path: str) -> Path:
    return Path(settings.DATA_DIR) / relative_path


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_directory(path: Path) -> None:
    """Create `path` and any missing parents, fsyncing each parent that gained an entry."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        _fsync_directory(directory.parent)


def store_durably(data: bytes) -> StoredFile:
    """Write `data` (a DICOM Part 10 file) so that it survives a crash; raises OSError."""
    digest = hashlib.sha256(data).hexdigest()
    relative = STORE_FOLDER / digest[:2] / f"{digest}.dcm"
    target = Path(settings.DATA_DIR) / relative
    stored = StoredFile(relative_path=str(relative), sha256=digest, size_bytes=len(data))
    if target.is_file() and target.stat().st_size == len(data):
        return stored  # the same bytes, already durable
    _ensure_directory(target.parent)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
    return stored


def read_stored(relative_path: str) -> bytes:
    return absolute(relative_path).read_bytes()


def stored_files() -> list[str]:
    """Every stored object's relative path (for the recovery sweep)."""
    root = store_root()
    if not root.is_dir():
        return []
    base = Path(settings.DATA_DIR)
    return sorted(str(p.relative_to(base)) for p in root.glob("*/*.dcm"))


def remove_stale_temporaries(older_than_s: float = 3600) -> int:
    """Delete temporary files of writes that never finished (never acknowledged)."""
    root = store_root()
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for path in root.glob(f"*/{TEMP_PREFIX}*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
