"""Referral attachments: type checked by content, size-limited, stored all-or-nothing.

A file is written under a temporary name, flushed to disk and renamed into place; its row is
inserted after that. If anything fails — the file, the row (a duplicate, a database error)
or the commit — the transaction rolls back and the files it wrote are removed: there is never
a row without its file, nor a file left behind by a failed write. (The web and API entry
points call the services in autocommit mode, so the service's transaction is the one that
commits; a caller that wraps them in its own transaction owns that outcome.)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.text import get_valid_filename

from irflow.lib.errors import ServiceError, ValidationFailed

MSG_EMPTY = "“{name}” is empty."
MSG_TOO_LARGE = "“{name}” is larger than the {limit} allowed."
MSG_WRONG_TYPE = "“{name}” is not a PDF, PNG or JPEG file (the content is checked, not the name)."
MSG_NAME_MISMATCH = "“{name}” is named as {named} but its content is {actual}."
MSG_DUPLICATE = "“{name}” is already attached to this referral."
MSG_NOT_STORED = "The file could not be stored, so nothing was saved. Try again later."

# (magic bytes at the start of the file, content type, label, file name endings)
KINDS: list[tuple[bytes, str, str, tuple[str, ...]]] = [
    (b"%PDF-", "application/pdf", "PDF", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG", (".jpg", ".jpeg")),
]
SUBDIR = "referrals"


class AttachmentNotStored(ServiceError):
    status_code = 503
    code = "not_stored"


class UploadLike(Protocol):
    """What check_file needs of an upload (Django's UploadedFile, a named file object)."""

    @property
    def name(self) -> str | None: ...

    @property
    def size(self) -> int | None: ...

    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content: bytes
    content_type: str
    extension: str
    sha256: str


def human_size(n: int) -> str:
    """'10 MB', '1.5 MB', '300 KB', '12 bytes'."""
    for size, unit in ((1024 * 1024, "MB"), (1024, "KB")):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def check_file(upload: UploadLike, *, field: str = "attachments") -> CheckedFile:
    """Refuse empty, oversized and non-PDF/PNG/JPEG files before anything is written."""
    name = get_valid_filename(PurePath(upload.name or "attachment").name)[:200] or "attachment"
    limit = settings.IRFLOW_MAX_ATTACHMENT_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed({field: MSG_TOO_LARGE.format(name=name, limit=human_size(limit))})
    content = upload.read(limit + 1)
    if not content:
        raise ValidationFailed({field: MSG_EMPTY.format(name=name)})
    if len(content) > limit:
        raise ValidationFailed({field: MSG_TOO_LARGE.format(name=name, limit=human_size(limit))})
    suffix = PurePath(name).suffix.lower()
    for magic, content_type, label, endings in KINDS:
        if content.startswith(magic):
            if suffix not in endings:
                named = f"a {suffix} file" if suffix else "a file without a type"
                raise ValidationFailed(
                    {field: MSG_NAME_MISMATCH.format(name=name, named=named, actual=label)}
                )
            return CheckedFile(
                name=name,
                content=content,
                content_type=content_type,
                extension=endings[0],
                sha256=hashlib.sha256(content).hexdigest(),
            )
    raise ValidationFailed({field: MSG_WRONG_TYPE.format(name=name)})


def check_files(uploads, *, field: str = "attachments") -> tuple[list[CheckedFile], list[str]]:
    """Check every file, not only up to the first bad one: the good files, and a message
    for each of the others."""
    good: list[CheckedFile] = []
    problems: list[str] = []
    for upload in uploads:
        try:
            good.append(check_file(upload, field=field))
        except ValidationFailed as exc:
            problems += exc.errors[field]
    return good, problems


def media_path(stored_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / stored_name


class StagedFiles:
    """Files written for one transaction; removed again if the transaction fails."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def write(self, checked: CheckedFile) -> str:
        """Write the file durably under a new name; return its name relative to MEDIA_ROOT."""
        today = timezone.localdate()
        stored = f"{SUBDIR}/{today:%Y/%m}/{uuid.uuid4().hex}{checked.extension}"
        final = media_path(stored)
        partial = final.with_name(final.name + ".part")
        self.paths += [partial, final]
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "xb") as fh:
                fh.write(checked.content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(partial, final)
        except OSError as exc:
            raise AttachmentNotStored(MSG_NOT_STORED) from exc
        return stored

    def discard(self) -> None:
        for path in self.paths:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_files() -> Iterator[StagedFiles]:
    """Yield a stage for files; on any exception the staged files are deleted."""
    stage = StagedFiles()
    try:
        yield stage
    except BaseException:
        stage.discard()
        raise
