"""`irflow backup` and `irflow restore`: the database, every file under the data directory
and the secret key, with a manifest that lets a restore prove it is whole.

A backup is a folder `irflow-backup-<UTC time>/`:

    manifest.json        format, irflow version, time, database vendor, applied migrations,
                         each table's row count and content hash, and every part's sha256
    database.sqlite3     SQLite: a copy taken with SQLite's online backup API (consistent
                         while irflow keeps writing)
    database.pgdump      PostgreSQL: `pg_dump -Fc`, taken in the same snapshot as the counts
    secret_key           the key that signs sessions and tokens (from the data directory or
                         IRFLOW_SECRET_KEY)
    data/...             everything else under the data directory: received DICOM objects
                         (dicom/), referral attachments (files/), kept uploads (stash/)

Left out: the static files (`irflow collectstatic` writes them again), the test database,
logs and backups kept inside the data directory.

A restore checks every sha256 in the manifest before it touches anything, refuses a target
that already holds data unless `--force`, and ends by comparing the restored database (every
table's row count and content hash, the applied migrations) and files with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

FORMAT = "irflow-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
KEY_FILE = "secret_key"
FILES = "data"
PREFIX = "irflow-backup-"
# Never copied from the data directory: regenerated, temporary or not irflow's data.
SKIPPED_TOP = {"static", "backups", "secret_key"}
# Logs, and unfinished writes (irflow writes a temporary name, then renames it into place).
SKIPPED_SUFFIXES = (".log", ".tmp", ".part", ".restoring")


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass
class Outcome:
    path: Path
    tables: int
    rows: int
    files: int
    bytes: int


def irflow_version() -> str:
    try:
        return version("irflow")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _part(root: Path, relative: str) -> dict[str, Any]:
    path = root / relative
    return {"path": relative, "sha256": sha256_file(path), "bytes": path.stat().st_size}


# --- table contents -------------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A column value the same however the connection is set up (time zone, JSON decoding)."""
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


def table_digest(cursor, table: str, order: list[str], quote) -> tuple[int, str]:
    """Row count and sha256 of a table's rows in primary key order (same vendor only)."""
    columns = ", ".join(quote(c) for c in order) if order else "1"
    cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {columns}")  # noqa: S608
    digest = hashlib.sha256()
    rows = 0
    while batch := cursor.fetchmany(2000):
        for row in batch:
            digest.update(json.dumps([_value(v) for v in row], ensure_ascii=False).encode())
            digest.update(b"\n")
            rows += 1
    return rows, digest.hexdigest()


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    out = {}
    cursor = conn.cursor()
    for name in names:
        info = conn.execute(f"PRAGMA table_info({_sqlite_quote(name)})").fetchall()
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or [r[1] for r in info]
        rows, digest = table_digest(cursor, name, pk, _sqlite_quote)
        out[name] = {"rows": rows, "sha256": digest}
    return out


def postgres_tables(cursor) -> dict[str, dict[str, Any]]:
    """Every table of the current schema, read in the caller's transaction (snapshot)."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname"
    )
    names = [r[0] for r in cursor.fetchall()]
    out = {}
    for name in names:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)",
            [f'"{name}"'],
        )
        pk = [r[0] for r in cursor.fetchall()]
        if not pk:
            cursor.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                "AND NOT attisdropped ORDER BY attnum",
                [f'"{name}"'],
            )
            pk = [r[0] for r in cursor.fetchall()]
        rows, digest = table_digest(cursor, name, pk, lambda n: '"' + n.replace('"', '""') + '"')
        out[name] = {"rows": rows, "sha256": digest}
    return out


def _migrations_from(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


# --- the data directory ---------------------------------------------------------------------


def _database_paths() -> set[Path]:
    db = settings.DATABASES["default"]
    paths = {Path(settings.DATA_DIR) / "test.sqlite3"}
    if db["ENGINE"].endswith("sqlite3"):
        paths.add(Path(db["NAME"]).resolve())
    return {q for p in paths for q in (p, *(Path(f"{p}{s}") for s in ("-wal", "-shm", "-journal")))}


def data_files(data_dir: Path, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """Files under the data directory that belong in a backup, relative to it, sorted."""
    skipped = {p.resolve() for p in skip} | _database_paths()
    for root, dirs, files in os.walk(data_dir):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not (here == data_dir and d in SKIPPED_TOP) and (here / d).resolve() not in skipped
        )
        for name in sorted(files):
            path = here / name
            if here == data_dir and name in SKIPPED_TOP:
                continue
            if name.endswith(SKIPPED_SUFFIXES) or path.resolve() in skipped:
                continue
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(data_dir)


def _secret_key_text() -> str:
    return settings.SECRET_KEY


# --- backup ---------------------------------------------------------------------------------


def _pg_env_and_dsn() -> tuple[dict[str, str], str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    parts = {
        "dbname": db["NAME"],
        "user": db.get("USER") or "",
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
    }
    options = db.get("OPTIONS") or {}
    if options.get("sslmode"):
        parts["sslmode"] = options["sslmode"]
    dsn = " ".join(
        "{}='{}'".format(k, v.replace("\\", "\\\\").replace("'", "\\'"))
        for k, v in parts.items()
        if v
    )
    return env, dsn


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


def _backup_sqlite(target: Path) -> tuple[dict, dict]:
    source_path = settings.DATABASES["default"]["NAME"]
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    dest = sqlite3.connect(target / SQLITE_FILE)
    try:
        # One step (pages=-1): a single read transaction, consistent while writers go on (WAL).
        source.backup(dest)
    finally:
        source.close()
    try:
        dest.execute("PRAGMA journal_mode=DELETE")
        tables = sqlite_tables(dest)
        migrations = _migrations_from(dest.execute("SELECT app, name FROM django_migrations"))
    finally:
        dest.close()
    return tables, migrations


def _backup_postgres(target: Path) -> tuple[dict, dict]:
    import psycopg

    env, dsn = _pg_env_and_dsn()
    with psycopg.connect(dsn, password=env.get("PGPASSWORD")) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor = conn.cursor()
        cursor.execute("SELECT pg_export_snapshot()")
        row = cursor.fetchone()
        assert row is not None
        snapshot = row[0]
        tables = postgres_tables(cursor)
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = _migrations_from(cursor.fetchall())
        # The dump sees exactly what was counted: the same exported snapshot.
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target / PG_FILE}",
                f"--dbname={dsn}",
            ],
            env,
        )
        conn.rollback()
    return tables, migrations


def backup(to: Path, *, keep: int | None = None) -> Outcome:
    vendor = connections["default"].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Cannot back up a {vendor} database (SQLite and PostgreSQL only).")
    data_dir = Path(settings.DATA_DIR).resolve()
    to = to.expanduser().resolve()
    to.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    final = to / f"{PREFIX}{now:%Y%m%dT%H%M%S%fZ}"
    work = Path(tempfile.mkdtemp(prefix=".partial-", dir=to))
    try:
        if vendor == "sqlite":
            tables, migrations = _backup_sqlite(work)
            db_file = SQLITE_FILE
        else:
            tables, migrations = _backup_postgres(work)
            db_file = PG_FILE
        secret = work / KEY_FILE
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(_secret_key_text())
        files = []
        for relative in data_files(data_dir, skip=[to, work]):
            stored = Path(FILES) / relative
            (work / stored).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(data_dir / relative, work / stored)
            files.append(_part(work, stored.as_posix()))
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "irflow_version": irflow_version(),
            "data_dir": str(data_dir),
            "database": {"vendor": vendor, **_part(work, db_file)},
            "migrations": migrations,
            "tables": tables,
            "secret_key": _part(work, KEY_FILE),
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        _fsync_tree(work)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if keep:
        _prune(to, keep)
    return Outcome(
        path=final,
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        files=len(files),
        bytes=sum(p.stat().st_size for p in final.rglob("*") if p.is_file()),
    )


def _fsync_tree(root: Path) -> None:
    for path in [*root.rglob("*"), root]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _prune(folder: Path, keep: int) -> None:
    done = sorted(p for p in folder.glob(f"{PREFIX}*") if p.is_dir() and (p / MANIFEST).is_file())
    for old in done[:-keep]:
        shutil.rmtree(old)


# --- restore --------------------------------------------------------------------------------


def read_manifest(source: Path) -> tuple[Path, dict]:
    source = source.expanduser().resolve()
    folder = source.parent if source.is_file() else source
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source}: no {MANIFEST} here; give a backup folder or its manifest.")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise BackupError(f"{path}: not a readable manifest ({exc}).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}.")
    return folder, manifest


def verify(folder: Path, manifest: dict) -> list[str]:
    """Every part named in the manifest, checked against its sha256; the problems found."""
    problems = []
    parts = [manifest["database"], manifest["secret_key"], *manifest["files"]]
    for part in parts:
        path = folder / part["path"]
        relative = Path(part["path"])
        if relative.is_absolute() or ".." in relative.parts:
            problems.append(f"{part['path']}: a path outside the backup")
        elif not path.is_file():
            problems.append(f"{part['path']}: missing")
        elif path.stat().st_size != part["bytes"] or sha256_file(path) != part["sha256"]:
            problems.append(f"{part['path']}: checksum does not match the manifest")
    return problems


def _target_problems(data_dir: Path) -> list[str]:
    found = []
    connection = connections["default"]
    if connection.introspection.table_names():
        found.append(f"the database {connection.settings_dict['NAME']} has tables")
    extra = list(data_files(data_dir))
    if extra:
        found.append(f"{data_dir} holds {len(extra)} file(s), e.g. {extra[0]}")
    return found


def _restore_sqlite(folder: Path) -> None:
    connections["default"].close()
    target = Path(settings.DATABASES["default"]["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.restoring")
    source = sqlite3.connect(f"file:{folder / SQLITE_FILE}?mode=ro", uri=True)
    dest = sqlite3.connect(temporary)
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=WAL")
    finally:
        source.close()
        dest.close()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(temporary, target)


def _restore_postgres(folder: Path, *, force: bool) -> None:
    connection = connections["default"]
    if force:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    connection.close()
    env, dsn = _pg_env_and_dsn()
    _run(
        [
            "pg_restore",
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={dsn}",
            str(folder / PG_FILE),
        ],
        env,
    )


def _write_file(source: Path, target: Path, mode: int | None = None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.restoring")
    shutil.copy2(source, temporary)
    if mode is not None:
        os.chmod(temporary, mode)
    os.replace(temporary, target)


def restored_state() -> tuple[dict, dict]:
    """The tables and applied migrations of the configured database, as in a manifest."""
    connection = connections["default"]
    if connection.vendor == "sqlite":
        connection.close()
        conn = sqlite3.connect(f"file:{settings.DATABASES['default']['NAME']}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"The restored SQLite database is damaged: {check}")
            tables = sqlite_tables(conn)
            migrations = _migrations_from(conn.execute("SELECT app, name FROM django_migrations"))
        finally:
            conn.close()
        return tables, migrations
    import psycopg

    # A plain psycopg connection, as the backup read it (Django's loads JSON as text).
    env, dsn = _pg_env_and_dsn()
    with psycopg.connect(dsn, password=env.get("PGPASSWORD")) as pg:
        cursor = pg.cursor()
        tables = postgres_tables(cursor)
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = _migrations_from(cursor.fetchall())
    return tables, migrations


def check(folder: Path, manifest: dict, data_dir: Path) -> list[str]:
    """Compare the restored database and files with the manifest; the differences found."""
    problems = []
    tables, migrations = restored_state()
    if migrations != manifest["migrations"]:
        problems.append("the applied migrations differ from the backup's")
    for name, expected in manifest["tables"].items():
        got = tables.get(name)
        if got is None:
            problems.append(f"table {name}: missing")
        elif got != expected:
            problems.append(
                f"table {name}: {got['rows']} rows, content differs from the backup "
                f"({expected['rows']} rows)"
            )
    for name in set(tables) - set(manifest["tables"]):
        problems.append(f"table {name}: not in the backup")
    for part in manifest["files"]:
        path = data_dir / Path(part["path"]).relative_to(FILES)
        if not path.is_file() or sha256_file(path) != part["sha256"]:
            problems.append(f"{path}: differs from the backup")
    if sha256_file(data_dir / KEY_FILE) != manifest["secret_key"]["sha256"]:
        problems.append("the secret key differs from the backup's")
    return problems


def restore(source: Path, *, force: bool = False) -> dict:
    folder, manifest = read_manifest(source)
    problems = verify(folder, manifest)
    if problems:
        raise BackupError(
            "The backup is damaged; nothing was restored:\n  " + "\n  ".join(problems)
        )
    vendor = connections["default"].vendor
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"The backup holds a {manifest['database']['vendor']} database and this irflow "
            f"uses {vendor}: restore it into a {manifest['database']['vendor']} database."
        )
    data_dir = Path(settings.DATA_DIR).resolve()
    occupied = _target_problems(data_dir)
    if occupied and not force:
        raise BackupError(
            "The target is not empty (" + "; ".join(occupied) + "). Restore into a fresh data "
            "directory and database, or add --force to replace what is there."
        )
    if vendor == "sqlite":
        _restore_sqlite(folder)
    else:
        _restore_postgres(folder, force=force)
    for part in manifest["files"]:
        relative = Path(part["path"]).relative_to(FILES)
        _write_file(folder / part["path"], data_dir / relative)
    _write_file(folder / KEY_FILE, data_dir / KEY_FILE, mode=0o600)
    problems = check(folder, manifest, data_dir)
    if problems:
        raise BackupError("The restore does not match the backup:\n  " + "\n  ".join(problems))
    return manifest
