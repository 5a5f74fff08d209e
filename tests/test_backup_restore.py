"""`irflow backup` then `irflow restore` into a fresh data directory (and, on the PostgreSQL
pass, a new database) reproduces every table's content and every stored file, the secret key
included; restore refuses a damaged backup before touching anything and a target that holds
data. The real commands, as subprocesses, on a data directory with demo data (which stores
DICOM dose objects) and an uploaded file."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from irflow.testing.service import postgres_database

pytestmark = [pytest.mark.e2e]

# Regenerated on start (static files) or the database itself: not compared file by file.
NOT_FILES = {"static", "irflow.db", "irflow.db-wal", "irflow.db-shm", "backups"}


def _env(data_dir: Path, db_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRFLOW_")}
    env.pop("DATABASE_URL", None)
    env.update(IRFLOW_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="irflow.settings")
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


def _irflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "irflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@contextlib.contextmanager
def _restore_database() -> Iterator[str | None]:
    """On the PostgreSQL pass: a new, empty database for the restore, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    import psycopg

    name = f"irflow_backup_restore_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(url)._replace(query="")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _table_hashes(data_dir: Path, db_url: str | None) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows (order-free), read directly."""
    if db_url:
        import psycopg

        conn: object = psycopg.connect(urlunsplit(urlsplit(db_url)._replace(query="")))
        query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    else:
        conn = sqlite3.connect(data_dir / "irflow.db")
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    hashes = {}
    try:
        cursor = conn.cursor()  # type: ignore[attr-defined]
        cursor.execute(query)
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            rows = sorted(repr(row) for row in cursor.fetchall())
            hashes[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    finally:
        conn.close()  # type: ignore[attr-defined]
    return hashes


def _files(data_dir: Path) -> dict[str, str]:
    out = {}
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if relative.parts[0] in NOT_FILES or not path.is_file():
            continue
        out[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_backup_then_restore_reproduces_every_table_and_file(tmp_path):
    source, target, backups = tmp_path / "source", tmp_path / "target", tmp_path / "backups"
    with postgres_database() as source_url, _restore_database() as target_url:
        source_env = _env(source, source_url)
        made = _irflow(source_env, "demo", "--patients", "3", "--seed", "15")
        assert made.returncode == 0, made.stdout + made.stderr
        upload = source / "files" / "referrals" / "2026" / "letter.pdf"
        upload.parent.mkdir(parents=True)
        upload.write_bytes(b"%PDF-1.4 a referral letter\n")

        backed = _irflow(source_env, "backup", "--to", str(backups))
        assert backed.returncode == 0, backed.stdout + backed.stderr
        folder = Path(backed.stdout.strip().splitlines()[-1])
        manifest = json.loads((folder / "manifest.json").read_text())
        vendor = "postgresql" if source_url else "sqlite"
        assert manifest["database"]["vendor"] == vendor
        assert "0002_audit_append_only" in manifest["migrations"]["audit"]
        stored = [f["path"] for f in manifest["files"] if f["path"].endswith(".dcm")]
        assert stored, "the demo stores received DICOM dose objects"
        assert "data/files/referrals/2026/letter.pdf" in [f["path"] for f in manifest["files"]]

        # A damaged copy of the backup is refused before anything is written.
        damaged = tmp_path / "damaged"
        shutil.copytree(folder, damaged)
        (damaged / stored[0]).write_bytes(b"not what was stored")
        refused = _irflow(_env(tmp_path / "elsewhere", None), "restore", str(damaged))
        assert refused.returncode != 0
        assert f"{stored[0]}: checksum does not match" in refused.stderr
        assert not (tmp_path / "elsewhere" / "irflow.db").exists()
        assert not (tmp_path / "elsewhere" / "dicom").exists()

        target_env = _env(target, target_url)
        restored = _irflow(target_env, "restore", str(folder))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "against the manifest" in restored.stdout

        before = _table_hashes(source, source_url)
        after = _table_hashes(target, target_url)
        assert len(before) > 50 and sum(n for n, _ in before.values()) > 1000
        assert after == before
        assert _files(target) == _files(source)
        assert (target / "secret_key").read_text() == (source / "secret_key").read_text()
        assert (target / "secret_key").stat().st_mode & 0o777 == 0o600

        # The restored installation works: Django sees every migration applied.
        checked = _irflow(target_env, "migrate", "--check")
        assert checked.returncode == 0, checked.stdout + checked.stderr

        # A second restore onto data is refused unless told.
        again = _irflow(target_env, "restore", str(folder))
        assert again.returncode != 0 and "not empty" in again.stderr
        assert _table_hashes(target, target_url) == before


def test_a_sqlite_backup_taken_while_irflow_writes_is_consistent(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("SQLite's online backup; pg_dump reads one snapshot by design")
    source, target = tmp_path / "source", tmp_path / "target"
    env = _env(source, None)
    migrated = _irflow(env, "migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    stop = threading.Event()
    written = [0]

    def write() -> None:
        conn = sqlite3.connect(source / "irflow.db", timeout=30)
        try:
            while not stop.is_set():
                with conn:
                    conn.executemany(
                        "INSERT INTO audit_accesslog (at, username, role, patient_label, what, "
                        "channel, remote_addr, path, refused) VALUES (datetime('now'), 'load', "
                        "'attending', '', 'chart', 'web', '', '', 0)",
                        [()] * 50,
                    )
                written[0] += 50
        finally:
            conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    while written[0] == 0 and writer.is_alive():
        stop.wait(0.01)
    try:
        backed = _irflow(env, "backup", "--to", str(tmp_path / "backups"))
    finally:
        stop.set()
        writer.join()
    assert backed.returncode == 0, backed.stdout + backed.stderr
    folder = Path(backed.stdout.strip().splitlines()[-1])
    in_backup = json.loads((folder / "manifest.json").read_text())["tables"]["audit_accesslog"]
    assert 0 < in_backup["rows"] <= written[0]
    # The restore's own check compares every table with the manifest: whole and consistent.
    restored = _irflow(_env(target, None), "restore", str(folder))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    with contextlib.closing(sqlite3.connect(target / "irflow.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (rows,) = conn.execute("SELECT count(*) FROM audit_accesslog").fetchone()
    assert rows == in_backup["rows"]
