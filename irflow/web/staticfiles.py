"""Static files: where they come from (the repository, installed packages) and how they go
out (hashed names cached for ever, gzip and brotli copies, served by whitenoise)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import brotli
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

PLOTLY_STATIC_PATH = "plotly/plotly.min.js"


def _plotly_dir() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    """Serves exactly one file, ``plotly/plotly.min.js``, from the installed plotly package.

    A STATICFILES_DIRS entry would expose the package's whole data folder; this exposes the
    bundle the charts need and nothing else.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_plotly_dir()))
        self.storage.prefix = "plotly"  # type: ignore[attr-defined]

    def check(self, **kwargs) -> list[CheckMessage]:
        if not (_plotly_dir() / "plotly.min.js").is_file():
            return [Error("plotly.min.js not found in the installed plotly package.")]
        return []

    # Like Django's own finders: an empty list, not None, when the file is not here.
    def find(self, path: str, find_all: bool = False):
        if path != PLOTLY_STATIC_PATH:
            return []
        found = str(_plotly_dir() / "plotly.min.js")
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield "plotly.min.js", self.storage


# Brotli's default (11) takes half a minute over plotly.min.js; 6 takes a fraction of a
# second and gives 1.3 MB instead of 1.1 MB (gzip -9: 1.5 MB; the file itself: 4.8 MB).
BROTLI_QUALITY = 6
COLLECTED_STAMP = ".irflow-collected"


class QuickCompressor(Compressor):
    @staticmethod
    def compress_brotli(data: bytes) -> bytes:
        return brotli.compress(data, quality=BROTLI_QUALITY)


class StaticStorage(CompressedManifestStaticFilesStorage):
    """`collectstatic` writes each file under a hashed name with .gz and .br copies beside it;
    whitenoise serves those with the encoding the browser accepts, cached for a year.

    A file `collectstatic` has not seen yet (the test suite, a checkout served before it
    ran) keeps its plain name: whitenoise serves it from the finders, uncompressed.
    """

    def create_compressor(self, **kwargs) -> Compressor:
        return QuickCompressor(**kwargs)

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # no manifest entry: not collected yet
            return name


def _sources_fingerprint() -> str:
    """Names, sizes and times of every file the finders offer: changes when any does."""
    lines = []
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = Path(storage.path(path)).stat()
            lines.append(f"{path}\t{stat.st_size}\t{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def static_files_collect() -> bool:
    """Collect (hash and compress) the static files into STATIC_ROOT when they changed since
    the last time; True when it ran."""
    stamp = Path(settings.STATIC_ROOT) / COLLECTED_STAMP
    fingerprint = _sources_fingerprint()
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True
