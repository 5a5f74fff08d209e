"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from irflow.testing.tools import missing_tool_message

CHROMIUM = os.environ.get("IRFLOW_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# What a test expects to see waits as long as what it does (15 s, `page` below), not
# Playwright's 5 s: on a loaded two-core machine a form's POST, its redirect and the next
# page's load can take longer than 5 s, and the assertion would fail before the page came.
expect.set_options(timeout=15_000)

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = missing_tool_message(CHROMIUM, "chromium")
        if os.environ.get("IRFLOW_STRICT"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    if "live_server" in request.fixturenames:
        # The service in this process (and its database) first, so that the page, and every
        # request it may still have in flight, is gone before the database is flushed.
        request.getfixturevalue("live_server")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    messages: list[str] = []
    pg.on(
        "console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type == "error" else None
    )
    pg.console_errors = messages
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def screenshot(page, name: str) -> Path:
    """The whole page as a picture, for people to look at. Chromium at times answers "Unable
    to capture screenshot" while a page is still settling (fonts, a late layout): then once
    more after the page has loaded. A picture is never what a test asserts."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except PlaywrightError as exc:
        if "Unable to capture screenshot" not in str(exc):
            raise
        page.wait_for_load_state("load")
        page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def site(live_server, settings, tmp_path):
    """The service in this process, as `irflow up` runs it on loopback: plain http (so cookies
    cannot be Secure), the starter catalogue (a transactional test flushes what the
    migrations seeded), and its files in the test's own folder."""
    from irflow.catalogue.models import ProcedureType
    from irflow.catalogue.seed import catalogue_seed

    catalogue_seed(ProcedureType)
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.DATA_DIR = tmp_path
    return live_server.url
