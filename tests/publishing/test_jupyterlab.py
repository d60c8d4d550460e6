"""The reader edition as a student on Binder meets it: in a real JupyterLab, through Chromium.

For every chapter the test writes the reader edition (scripts/reader_edition.py) into a
fresh folder, starts JupyterLab (the `test` extra) there on a free local port with a token,
and drives Debian's Chromium through Playwright, with every request that would leave this
machine blocked.  It opens each edition, runs all its cells, and checks what the reader
sees: no error output, no MyST markup in the rendered Markdown and no MathJax error, at
least as many images as the book page has figures, every solution folded (its ``<details>``
closed; the code of a solution that spans cells collapsed, and its stored outputs too, until
the reader runs it), and, for each interactive
figure, that moving its first slider redraws the image.

Run it with `make jupyterlab` (it takes a few minutes: every chapter runs in full).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from _book import ROOT, Page, chapters
from test_site import LOCAL_HOSTS

sys.path.insert(0, str(ROOT / "scripts"))
import reader_edition  # noqa: E402

RUN_TIMEOUT_MS = 120_000
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# Role or directive markup as it reads once rendered: "{eq}" just before the code of its label,
# a ::: or ```{ fence, a directive option, a (label)= target, an unrendered equation label.
MARKUP = [
    (re.compile(r"\{[a-z][\w.+-]*(?::[\w.+-]+)?\}(?=[\w-])"), "a role"),
    (re.compile(r"(^|\n)\s*(:::|```\s*\{)"), "a fence"),
    (re.compile(r"(^|\n)\s*:[a-z-]+:\s"), "a directive option"),
    (re.compile(r"(^|\n)\s*\([\w:.-]+\)=\s*(\n|$)"), "a (label)= target"),
    (re.compile(r"\$\$|\\tag\{"), "unrendered display math"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def editions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reader")
    reader_edition.write_editions(reader_edition.load_book(ROOT), folder)
    return folder


@pytest.fixture(scope="session")
def lab(editions: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab serving the editions, with its own settings: every cell attached to the page."""
    home = tmp_path_factory.mktemp("lab")
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "MPLCONFIGDIR": str(home / "matplotlib"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    log = (home / "lab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={editions}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--allow-root",  # CI runs as root; the server listens on 127.0.0.1 only, behind a token
        ],  # fmt: skip
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()}", pytrace=False)
                time.sleep(0.3)
        yield f"{url}|{token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# Everything about the open notebook that the checks need, read from the page in one go.
READ_NOTEBOOK = """() => {
  const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'));
  return cells.map(cell => {
    const md = cell.querySelector('.jp-MarkdownOutput');
    let text = '';
    if (md) {
      const copy = md.cloneNode(true);
      copy.querySelectorAll('mjx-container, script, pre, .MathJax, mjx-assistive-mml').forEach(e => e.remove());
      text = copy.textContent;
    }
    return {
      markdown: cell.classList.contains('jp-MarkdownCell'),
      text,
      details: Array.from(cell.querySelectorAll('details')).map(d => d.open),
      inputCollapsed: !!cell.querySelector('.jp-InputPlaceholder'),
      outputCollapsed: !!cell.querySelector('.jp-OutputPlaceholder'),
      prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
      errors: Array.from(cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
        .map(e => e.textContent).filter(t => /Error|Traceback|Warning/.test(t)),
      images: Array.from(cell.querySelectorAll('img')).filter(i => i.complete && i.naturalWidth > 0).length,
      mathErrors: cell.querySelectorAll('mjx-merror').length,
    };
  });
}"""


def _open(browser: object, lab: str, chapter: Page) -> tuple[object, object, list[str]]:
    url, token = lab.split("|")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def route(r: object) -> None:
        parsed = urlparse(r.request.url)
        if parsed.scheme in ("data", "blob", "about") or parsed.hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(f"{url}/lab/tree/{chapter.name}.ipynb?reset&token={token}", wait_until="load")
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
        timeout=60_000,
    )
    return context, page, outside


def _run_all(page: object) -> None:
    page.evaluate(
        """async () => {
      const panel = window.jupyterapp.shell.currentWidget;
      await panel.sessionContext.ready;
      await window.jupyterapp.commands.execute('notebook:run-all-cells');
    }"""
    )
    # Finished when the kernel is idle and every code cell has run, or one has failed (Run All stops there).
    page.wait_for_function(
        """() => {
      const panel = window.jupyterapp.shell.currentWidget;
      const cells = Array.from(panel.content.model.cells).filter(c => c.type === 'code');
      const failed = cells.some(c => Array.from({length: c.outputs.length}, (_, i) => c.outputs.get(i))
        .some(o => o.type === 'error'));
      return panel.sessionContext.session.kernel.status === 'idle'
        && (failed || cells.every(c => c.executionCount !== null));
    }""",
        timeout=RUN_TIMEOUT_MS,
        polling=500,
    )


def _check_markup(cells: list[dict]) -> list[str]:
    found = []
    for k, cell in enumerate(cells):
        for pattern, what in MARKUP:
            m = pattern.search(cell["text"])
            if m:
                found.append(f"cell {k}: {what}: ...{cell['text'][max(0, m.start() - 40) : m.end() + 40]!r}...")
        if cell["mathErrors"]:
            found.append(f"cell {k}: {cell['mathErrors']} MathJax error(s)")
    return found


def _move_first_slider(page: object, cell_index: int) -> None:
    """Move the first slider of the widget in this cell by one step; its image must change."""
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(cell_index)
    image = cell.locator(".widget-image, .jupyter-widgets img").first
    image.wait_for(timeout=30_000)
    before = image.get_attribute("src")
    handle = cell.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([el, before]) => el.getAttribute('src') !== before",
        arg=[image.element_handle(), before],
        timeout=30_000,
    )


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
def test_reader_edition_runs_and_reads_in_jupyterlab(browser: object, lab: str, editions: Path, chapter: Page) -> None:
    edition = json.loads((editions / f"{chapter.name}.ipynb").read_text(encoding="utf-8"))
    context, page, outside = _open(browser, lab, chapter)
    try:
        folded = [k for k, cell in enumerate(edition["cells"]) if cell["metadata"].get("cellView") == "form"]
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownOutput")
        before = page.evaluate(READ_NOTEBOOK)
        shown = [k for k in folded if not (before[k]["inputCollapsed"] and before[k]["outputCollapsed"])]
        assert not shown, f"the code of a solution shows in cells {shown}"
        start = time.monotonic()
        _run_all(page)
        seconds = time.monotonic() - start
        cells = page.evaluate(READ_NOTEBOOK)
        assert len(cells) == len(edition["cells"]), (
            f"{len(cells)} cells on the page, {len(edition['cells'])} in the file"
        )

        errors = [f"cell {k}: {e[:300]}" for k, c in enumerate(cells) for e in c["errors"]]
        assert not errors, "error output:\n" + "\n".join(errors)
        markup = _check_markup(cells)
        assert not markup, "raw markup in the rendered Markdown:\n" + "\n".join(markup)

        figures = len(re.findall(r"^```\{(?:glue:)?figure\}", chapter.markdown, flags=re.MULTILINE))
        images = sum(c["images"] for c in cells)
        assert images >= figures, f"{images} images in JupyterLab, {figures} figures on the book page"

        solutions = len(re.findall(r"^:::\{solution(?:-start)?\}", chapter.markdown, flags=re.MULTILINE))
        details = [state for c in cells for state in c["details"]]
        assert len(details) >= solutions, f"{solutions} solutions in the chapter, {len(details)} <details> blocks"
        assert not any(details), "a solution is open"
        # Running a cell shows its outputs again (JupyterLab's choice); its code stays folded.
        shown = [k for k in folded if not cells[k]["inputCollapsed"]]
        assert not shown, f"the code of a solution shows in cells {shown} after running"

        widget_cells = [
            k
            for k, cell in enumerate(edition["cells"])
            if any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", []))
        ]
        for k in widget_cells:
            _move_first_slider(page, k)
        assert not outside, f"requests to outside this machine: {outside}"
        print(f"{chapter.name}: ran in {seconds:.1f} s")
    finally:
        page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
        context.close()
