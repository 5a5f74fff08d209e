"""Every PDF irflow makes (reports, preparation letters, board agendas) is rendered here, the
one way: WeasyPrint from HTML irflow wrote, with its stylesheet read from irflow's own static
files, and fetching nothing else — no network, no file — whatever the HTML names."""

from __future__ import annotations

from pathlib import Path

# Only data: URLs (inline images); the stylesheet is passed as text.
ALLOWED_PROTOCOLS = frozenset({"data"})


def render_pdf(html: str, *, stylesheet: Path | None = None) -> bytes:
    """The PDF of `html`, styled by `stylesheet` (a file of irflow's)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=set(ALLOWED_PROTOCOLS))
    sheets = []
    if stylesheet is not None:
        sheets.append(CSS(string=stylesheet.read_text(encoding="utf-8"), url_fetcher=fetcher))
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=sheets)
