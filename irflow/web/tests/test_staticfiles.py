"""Static files go out under hashed names with gzip and brotli copies, collected once per
change; a file not collected yet keeps its plain name (served from the finders)."""

from __future__ import annotations

import gzip
import json

import brotli
from django.contrib.staticfiles.storage import staticfiles_storage

from irflow.web.staticfiles import static_files_collect

SCRIPT = "// irflow test script\n" + "function f(a) { return a + 1; }\n" * 2000


def _only_these_sources(settings, tmp_path):
    source = tmp_path / "source"
    (source / "app").mkdir(parents=True)
    (source / "app" / "app.js").write_text(SCRIPT)
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "static"
    return source


def _manifest(settings) -> dict[str, str]:
    return json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text())["paths"]


def test_collected_once_hashed_and_compressed_then_again_when_a_file_changes(settings, tmp_path):
    source = _only_these_sources(settings, tmp_path)

    assert static_files_collect() is True
    hashed = settings.STATIC_ROOT / _manifest(settings)["app/app.js"]
    assert hashed.name.startswith("app.") and hashed.read_text() == SCRIPT
    packed_gz = hashed.with_name(hashed.name + ".gz").read_bytes()
    packed_br = hashed.with_name(hashed.name + ".br").read_bytes()
    assert gzip.decompress(packed_gz).decode() == SCRIPT
    assert brotli.decompress(packed_br).decode() == SCRIPT
    assert len(packed_gz) < len(SCRIPT) / 10 and len(packed_br) < len(SCRIPT) / 10
    assert staticfiles_storage.url("app/app.js") == f"/static/app/{hashed.name}"

    assert static_files_collect() is False  # nothing changed: no second pass

    (source / "app" / "app.js").write_text(SCRIPT + "f(2);\n")
    assert static_files_collect() is True
    assert _manifest(settings)["app/app.js"] != f"app/{hashed.name}"


def test_a_file_not_collected_yet_keeps_its_plain_name(settings, tmp_path):
    _only_these_sources(settings, tmp_path)
    assert staticfiles_storage.url("app/app.js") == "/static/app/app.js"
