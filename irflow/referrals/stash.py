"""Files kept between two tries of a form, so that nobody chooses them twice.

A browser cannot put a file back into a file input when a refused form is drawn again. The
files of a refused referral form that passed the checks are written under the data
directory, in a folder named by a random token; the form carries the token in a hidden
field and lists the files ("kept: name — remove"). The token works only in the session that
made it, by the user who made it, for `STASH_MAX_AGE_S`; it is spent once the referral is
sent. Anything else — a stale, foreign or made-up token — is refused with a message, never
silently ignored (the user would believe the files were attached).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from irflow.lib.errors import ValidationFailed
from irflow.referrals.attachments import CheckedFile, check_files

STASH_MAX_AGE_S = 60 * 60
SESSION_KEY = "referral_file_stash"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
MSG_STASH_GONE = (
    "The files kept from your last try are no longer available (they are kept for "
    "{minutes} minutes, for the session that chose them): choose them again."
)


@dataclass(frozen=True)
class KeptFile:
    """One kept file as the form lists it; `index` is what its remove box sends."""

    index: int
    name: str
    size: int


class KeptUpload:
    """A kept file handed to the services as an upload (they check it again)."""

    def __init__(self, name: str, content: bytes) -> None:
        self.name = name
        self.size = len(content)
        self._content = content

    def read(self, size: int = -1, /) -> bytes:
        return self._content if size < 0 else self._content[:size]


@dataclass
class Stash:
    """What one try of the form keeps: the token to carry, the files, the problems."""

    token: str = ""
    files: tuple[KeptFile, ...] = ()
    problems: tuple[str, ...] = ()


def _root() -> Path:
    return Path(settings.DATA_DIR) / "stash" / "referrals"


def _gone() -> ValidationFailed:
    return ValidationFailed({"attachments": MSG_STASH_GONE.format(minutes=STASH_MAX_AGE_S // 60)})


def _owned(session, user, token: str) -> Path:
    """The folder of `token` if this session and user made it and it has not expired."""
    entry = session.get(SESSION_KEY, {}).get(token) if TOKEN.match(token or "") else None
    if not entry or entry.get("user") != user.pk:
        raise _gone()
    folder = _root() / token
    if (
        time.time() - entry.get("at", 0) > STASH_MAX_AGE_S
        or not (folder / "manifest.json").is_file()
    ):
        raise _gone()
    return folder


def _forget(session, token: str) -> None:
    tokens = dict(session.get(SESSION_KEY, {}))
    tokens.pop(token, None)
    session[SESSION_KEY] = tokens
    if TOKEN.match(token or ""):
        shutil.rmtree(_root() / token, ignore_errors=True)


def _sweep() -> None:
    """Remove what earlier tries left behind and nobody came back for."""
    root = _root()
    if not root.is_dir():
        return
    for folder in root.iterdir():
        with contextlib.suppress(OSError):
            if time.time() - folder.stat().st_mtime > STASH_MAX_AGE_S:
                shutil.rmtree(folder, ignore_errors=True)


def stash_uploads(*, session, user, token: str, remove: Iterable[str] = ()) -> list[KeptUpload]:
    """The kept files of `token` (less those ticked to remove), ready to send again.
    Refuses (ValidationFailed on `attachments`) a token this session and user did not make,
    or one that expired."""
    if not token:
        return []
    folder = _owned(session, user, token)
    dropped = {int(i) for i in remove if str(i).isdigit()}
    manifest = json.loads((folder / "manifest.json").read_text())
    return [
        KeptUpload(entry["name"], (folder / entry["file"]).read_bytes())
        for index, entry in enumerate(manifest)
        if index not in dropped
    ]


def stash_keep(
    *, session, user, kept: list[KeptUpload], uploads: Iterable, replaces: str = ""
) -> Stash:
    """After a refused try: keep `kept` and those of the newly chosen `uploads` that pass the
    checks, under a new token bound to this session (the one it `replaces` is spent); say
    what is wrong with the others."""
    stash_spend(session=session, token=replaces)
    _sweep()
    uploads = list(uploads)
    for upload in uploads:
        if hasattr(upload, "seek"):
            upload.seek(0)  # a service may have read it already
    good, problems = check_files([*kept, *uploads])
    if not good:
        return Stash(problems=tuple(problems))
    token = secrets.token_urlsafe(16)
    folder = _root() / token
    folder.mkdir(parents=True, mode=0o700)
    manifest = []
    for index, checked in enumerate(good):
        name = f"{index}{checked.extension}"
        (folder / name).write_bytes(checked.content)
        manifest.append({"name": checked.name, "file": name})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    now = int(time.time())
    live = {
        t: entry
        for t, entry in session.get(SESSION_KEY, {}).items()
        if now - entry.get("at", 0) <= STASH_MAX_AGE_S
    }
    session[SESSION_KEY] = {**live, token: {"user": user.pk, "at": now}}
    files = tuple(_kept(i, c) for i, c in enumerate(good))
    return Stash(token=token, files=files, problems=tuple(problems))


def stash_spend(*, session, token: str) -> None:
    """The referral went out with the kept files: forget them."""
    if token:
        _forget(session, token)


def _kept(index: int, checked: CheckedFile) -> KeptFile:
    return KeptFile(index=index, name=checked.name, size=len(checked.content))
