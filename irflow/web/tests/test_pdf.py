"""Every PDF is rendered one way: it fetches nothing the HTML names (no network, no file),
with irflow's own stylesheet applied."""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from irflow.testing.tools import require_tool
from irflow.web.pdf import render_pdf


def test_nothing_named_in_the_html_is_fetched(tmp_path):
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    secret = tmp_path / "secret.txt"
    secret.write_text("NOT FOR THE PDF")
    port = server.server_address[1]
    html = (
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
        f'<img src="http://127.0.0.1:{port}/tracker.png">'
        f'<object data="file://{secret}"></object>'
        "<p class=big>Report text</p>"
    )
    css = tmp_path / "style.css"
    css.write_text(f'@import url("http://127.0.0.1:{port}/more.css"); .big {{ font-size: 20pt; }}')
    try:
        pdf = render_pdf(html, stylesheet=css)
    finally:
        server.shutdown()
    assert pdf.startswith(b"%PDF") and asked == []
    pdftotext = require_tool("pdftotext", "poppler-utils")
    text = subprocess.run(
        [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "Report text" in text and "NOT FOR THE PDF" not in text
