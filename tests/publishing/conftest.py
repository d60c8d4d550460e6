"""Fixtures for the publishing tests.

These tests check what `make book` and `make pdf` built, so the Makefile runs them after
those builds (targets pdf-check, browser and binder-env), not with the unit tests.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _book import HTML_DIR, LATEX_DIR, ROOT


def need(path: Path, how: str) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} does not exist: run `{how}` first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def html_dir() -> Path:
    return need(HTML_DIR / "index.html", "make book").parent


@pytest.fixture(scope="session")
def latex_dir() -> Path:
    return need(LATEX_DIR / "rnn-course.pdf", "make pdf").parent


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (which downloads no browser of its own), shared by
    the website test and the JupyterLab test."""
    from test_site import CHROMIUM, CHROMIUM_FLAGS

    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make system-deps` (Debian package chromium)", pytrace=False)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site_url(html_dir: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(html_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def visit(browser: object, site_url: str) -> Iterator[object]:
    """``visit(path, dark=False)`` opens a page of the site in a fresh browser context (test_site.Visit)."""
    from test_site import Visit

    opened: list[object] = []

    def open_page(path: str, dark: bool = False) -> object:
        opened.append(Visit(browser, f"{site_url}/{path}", dark=dark))
        return opened[-1]

    yield open_page
    for v in opened:
        v.close()
