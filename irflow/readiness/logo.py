"""The department's logo: a PNG or JPEG checked by its content (Pillow reads it), small enough
for a letterhead, and handed to letters and pages as a data: URL (nothing fetched)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from irflow.readiness.models import PolicySettings

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 4000
MSG_LOGO_TYPE = "The logo must be a PNG or JPEG image (the content is checked, not the name)."
MSG_LOGO_SIZE = "The logo is larger than 512 KB: save it smaller and upload it again."
MSG_LOGO_DIMENSIONS = "The logo is larger than 4000 × 4000 pixels: scale it down."
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


class Upload(Protocol):
    @property
    def size(self) -> int | None: ...

    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class CheckedLogo:
    content: bytes
    content_type: str


def logo_check(upload: Upload) -> CheckedLogo | str:
    """The logo's bytes and type, or the message that says why it cannot be used."""
    if (upload.size or 0) > MAX_LOGO_BYTES:
        return MSG_LOGO_SIZE
    content = upload.read(MAX_LOGO_BYTES + 1)
    if len(content) > MAX_LOGO_BYTES:
        return MSG_LOGO_SIZE
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return MSG_LOGO_TYPE
    if kind not in FORMATS:
        return MSG_LOGO_TYPE
    if max(width, height) > MAX_LOGO_PIXELS:
        return MSG_LOGO_DIMENSIONS
    return CheckedLogo(content=content, content_type=FORMATS[kind])


def logo_data_uri(row: PolicySettings) -> str:
    """The stored logo as a data: URL ("" when there is none)."""
    content = bytes(row.logo or b"")
    if not content or not row.logo_content_type:
        return ""
    return f"data:{row.logo_content_type};base64,{base64.b64encode(content).decode()}"
