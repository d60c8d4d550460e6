"""The website as its readers get it (run after `make book`).

The first tests read the built HTML files; the rest drive Debian's Chromium through
Playwright, over a server on 127.0.0.1, and block every request that would leave this
machine, so a page that needs the network fails.  For every page in _toc.yml they check
that it loads with no console errors, that its math is typeset (by the MathJax copy
served with the site), that every image loads, that a chapter's Binder button opens that
chapter's notebook, that search finds a chapter by a word of its title, and that every
interactive figure's controls work without a kernel, fast, on a light page.
(tests/publishing/test_accessibility.py audits the same pages with axe-core.)
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from _book import ROOT, Page, chapters, config, numbered_chapters, page, toc_pages

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


# ---------------------------------------------------------------- the built HTML files


class _Links(HTMLParser):
    """Collects ids, links and the URLs of the resources a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "script":
            self.scripts.append(a.get("type", ""))
        if tag == "link" and a.get("href") and a.get("rel", "") not in ("canonical", "alternate"):
            self.resources.append(a["href"])


@functools.cache
def parsed(html_file: Path) -> _Links:
    parser = _Links()
    parser.feed(html_file.read_text(encoding="utf-8"))
    return parser


def html_of(html_dir: Path, name: str) -> Path:
    return html_dir / f"{name}.html"


def is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def test_every_toc_page_was_built(html_dir: Path) -> None:
    missing = [name for name in toc_pages() if not html_of(html_dir, name).exists()]
    assert not missing, f"pages in _toc.yml with no HTML page: {missing}"


def test_pages_load_nothing_from_outside_the_site(html_dir: Path) -> None:
    """Scripts, styles, fonts and images must all be served with the site."""
    offenders = []
    for html_file in sorted(html_dir.rglob("*.html")):
        offenders += [f"{html_file.relative_to(html_dir)}: {u}" for u in parsed(html_file).resources if is_external(u)]
    css_url = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""")
    for css in sorted((html_dir / "_static").rglob("*.css")):
        offenders += [f"{css.relative_to(html_dir)}: {u}" for u in css_url.findall(css.read_text(errors="replace"))]
    assert not offenders, "resources loaded from outside the site:\n" + "\n".join(offenders)


def test_mathjax_is_served_with_the_site(html_dir: Path) -> None:
    pages_with_math = [n for n in toc_pages() if 'class="math' in html_of(html_dir, n).read_text(encoding="utf-8")]
    assert pages_with_math, "no page has any math; the chapters and the notation page should"
    for name in pages_with_math:
        scripts = [u for u in parsed(html_of(html_dir, name)).resources if "mathjax" in u.lower()]
        assert scripts, f"{name} has math but loads no MathJax"
        for src in scripts:
            target = (html_of(html_dir, name).parent / urlparse(src).path).resolve()
            assert target.is_file(), f"{name} loads MathJax from {src}, which is not in the built site"


def test_internal_links_and_cross_references_resolve(html_dir: Path) -> None:
    """Every link between pages, and every #anchor it names (equations, figures, exercises), exists."""
    broken = []
    for name in toc_pages():
        source = html_of(html_dir, name)
        for href in parsed(source).links:
            if is_external(href) or href.startswith(("mailto:", "javascript:", "data:")):
                continue
            url = urlparse(href)
            target = (source.parent / unquote(url.path)).resolve() if url.path else source
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{name}: {href} (no file)")
            elif url.fragment and target.suffix == ".html" and unquote(url.fragment) not in parsed(target).ids:
                broken.append(f"{name}: {href} (no id {url.fragment!r})")
    assert not broken, "broken links:\n" + "\n".join(broken)


def _chapter_number(chapter: Page) -> int:
    return [c.name for c in numbered_chapters()].index(chapter.name) + 1


@pytest.mark.parametrize("chapter", numbered_chapters(), ids=lambda c: c.name)
def test_chapters_equations_and_figures_are_numbered(html_dir: Path, chapter: Page) -> None:
    """Chapters are numbered 1, 2, ... through both parts; equations (n.k) and figures "Fig. n.k" follow."""
    text = html_of(html_dir, chapter.name).read_text(encoding="utf-8")
    n = _chapter_number(chapter)
    assert re.search(rf'<h1>\s*<span class="section-number">{n}\. </span>', text), f"chapter {n} heading"
    labelled_equations = len(re.findall(r"^\$\$\s*\([\w-]+\)\s*$", chapter.markdown, flags=re.MULTILINE))
    labelled_equations += len(re.findall(r"^:label:", chapter.markdown, flags=re.MULTILINE)) - chapter.markdown.count(
        "{exercise}"
    )
    numbers = re.findall(r'<span class="eqno">\((\d+)\.(\d+)\)', text)
    assert len(numbers) >= labelled_equations, f"{labelled_equations} labelled equations, {len(numbers)} numbered"
    assert all(int(c) == n for c, _ in numbers), f"equation numbers {numbers} are not all in chapter {n}"
    figures = re.findall(r'<span class="caption-number">Fig\. (\d+)\.(\d+)', text)
    named_figures = len(re.findall(r"^```\{(?:glue:)?figure\}", chapter.markdown, flags=re.MULTILINE))
    assert len(figures) == named_figures, f"{named_figures} figures in the source, {len(figures)} numbered"
    assert all(int(c) == n for c, _ in figures), f"figure numbers {figures} are not all in chapter {n}"


def binder_link(name: str) -> str:
    """The Binder link _config.yml implies for a notebook page (the issue's specification)."""
    cfg = config()
    hub = cfg["launch_buttons"]["binderhub_url"].rstrip("/")
    interface = {"jupyterlab": "lab/tree", "classic": "tree"}[cfg["launch_buttons"]["notebook_interface"]]
    owner, repo = urlparse(cfg["repository"]["url"]).path.strip("/").split("/")[:2]
    book = (cfg["repository"].get("path_to_book") or "").strip("/")
    path = f"{book}/{name}.ipynb" if book else f"{name}.ipynb"
    return f"{hub}/v2/gh/{owner}/{repo}/{cfg['repository']['branch']}?urlpath={interface}/{path}"


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
def test_interactive_figures_show_a_note_instead_of_a_dead_widget(html_dir: Path, chapter: Page) -> None:
    text = html_of(html_dir, chapter.name).read_text(encoding="utf-8")
    assert 'type="application/vnd.jupyter.widget-view+json"' not in text
    notes = re.findall(r'<div class="note interactive-figure admonition">(.*?)</div>', text, flags=re.DOTALL)
    assert len(notes) == chapter.widget_outputs, f"{chapter.widget_outputs} widgets, {len(notes)} notes"
    for note in notes:
        assert f'href="{binder_link(chapter.name)}"' in note.replace("&amp;", "&")


class _FieldEntries(HTMLParser):
    """The text of every parameter and return entry of the API page: "name (type) – description"."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside a field body (<dd class="field-...">) at this list-item depth
        self.entries: list[str] = []
        self._text: list[str] | None = None
        self._first_tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "dd" and a.get("class", "").startswith("field-"):
            self.depth = 1
        elif tag in ("li", "p") and self.depth == 1 and self._text is None:
            self._text = []
            self._first_tag = None
        elif tag != "p" and self._text is not None and self._first_tag is None and not "".join(self._text).strip():
            self._first_tag = tag  # an entry names its parameter in <strong> before anything else

    def handle_endtag(self, tag: str) -> None:
        if tag in ("li", "p") and self._text is not None:
            if self._first_tag == "strong":
                self.entries.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "dd":
            self.depth = 0

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def test_api_reference_entries_show_a_type_not_a_sentence(html_dir: Path) -> None:
    """numpydoc reads the text after `name :` as the type; a description written there renders
    as a long italic type (issue 12). Every rendered type must read as a type."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from test_docstrings import is_type

    parser = _FieldEntries()
    parser.feed(html_of(html_dir, "api").read_text(encoding="utf-8"))
    typed = [re.match(r"^[\w, ]+ \((.*?)\)(?: – |$)", entry) for entry in parser.entries]
    types = [m.group(1) for m in typed if m]
    assert len(types) > 300, f"found only {len(types)} typed entries: has the page's markup changed?"
    garbled = [t for t in types if not is_type(t)]
    assert not garbled, f"{len(garbled)} rendered types read as sentences: " + "; ".join(garbled[:20])


def test_api_reference_opens_with_an_index_of_what_each_chapter_uses(html_dir: Path) -> None:
    """The API page is long; its first table links each chapter to the entries its code uses."""
    text = html_of(html_dir, "api").read_text(encoding="utf-8")
    index = text[text.index('id="what-each-chapter-uses"') : text.index("</table>")]
    for chapter in chapters():
        assert f'href="{chapter.name.split("/")[1]}.html"' in index or f"{chapter.name}.html" in index, chapter.name
    assert index.count('href="#rnnlib.') > 50, "the index should link names to their entries on this page"


def test_api_reference_shows_no_build_machine_path_and_documents_cells(html_dir: Path) -> None:
    text = html_of(html_dir, "api").read_text(encoding="utf-8")
    assert str(ROOT) not in text, "a value rendered with this machine's path (DATA_DIR?)"
    assert 'id="rnnlib.datasets.DATA_DIR"' in text
    assert 'id="rnnlib.recurrent.CELLS"' in text, "rnnlib.CELLS, which chapter 6 uses, has no entry"


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
def test_chapter_pages_show_code_without_its_bookkeeping(html_dir: Path, chapter: Page) -> None:
    """The glue calls and figure closing stay in the notebook, not on the page (issue 11, part 5),
    while the code that computes is still shown."""
    text = html_of(html_dir, chapter.name).read_text(encoding="utf-8")
    assert 'class="cell_input' in text, "no code cell was shown at all"
    for call in ("glue", "close"):
        assert not re.search(rf'<span class="[a-z]+">{call}</span><span class="p">\(', text), f"{call}( is shown"
    assert "myst_nb" not in text


def test_api_reference_covers_every_public_module(html_dir: Path) -> None:
    """api.md must list each public rnnlib module with :members:, so no module goes undocumented."""
    text = html_of(html_dir, "api").read_text(encoding="utf-8")
    problems = []
    for path in sorted((ROOT / "rnnlib").glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"rnnlib.{path.stem}"
        if f'id="module-{name}"' not in text:
            problems.append(
                f"{name} is missing: add to api.md\n```{{eval-rst}}\n.. automodule:: {name}\n   :members:\n```"
            )
            continue
        module = importlib.import_module(name)
        own = [
            obj
            for key, obj in vars(module).items()
            if not key.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == name
            and obj.__doc__
        ]
        if own and f'id="{name}.' not in text:
            problems.append(f"{name} shows none of its functions or classes: add `:members:` under its automodule")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- in the browser


class Visit:
    """One page opened in a fresh browser context, with everything that went wrong recorded."""

    def __init__(self, browser: object, url: str, dark: bool = False) -> None:
        self.context = browser.new_context()
        if dark:  # the theme's colour mode, as its mode button stores it
            self.context.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.bad_status: list[str] = []

        def route(r: object) -> None:
            parsed_url = urlparse(r.request.url)
            if parsed_url.scheme in ("data", "blob", "about") or parsed_url.hostname in LOCAL_HOSTS:
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.bad_status.append(f"{r.status} {r.url}"))
        self.page.goto(url, wait_until="load")

    def close(self) -> None:
        self.context.close()


TYPESET = """async () => {
  const maths = Array.from(document.querySelectorAll('.math'));
  if (maths.length === 0) return {maths: 0, typeset: 0, errors: 0};
  for (let i = 0; i < 100 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) {
    await new Promise(r => setTimeout(r, 100));
  }
  if (!(window.MathJax && MathJax.startup)) return {maths: maths.length, typeset: -1, errors: 0};
  await MathJax.startup.promise;
  return {
    maths: maths.length,
    typeset: maths.filter(m => m.querySelector('mjx-container')).length,
    errors: document.querySelectorAll('mjx-merror').length,
  };
}"""

IMAGES = """async () => {
  const images = Array.from(document.images);
  images.forEach(i => { i.loading = 'eager'; });
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; })));
  return images.map(i => ({src: i.currentSrc || i.src, ok: i.complete && (i.naturalWidth > 0 || /\\.svg$/.test(i.src))}));
}"""


@pytest.mark.parametrize("name", toc_pages())
def test_page_loads_cleanly_offline(visit: object, name: str) -> None:
    v = visit(f"{name}.html")
    typeset = v.page.evaluate(TYPESET)
    images = v.page.evaluate(IMAGES)
    v.page.wait_for_load_state("networkidle")
    assert not v.outside, f"requests to outside the site: {v.outside}"
    assert not v.errors, f"console errors: {v.errors}"
    assert not v.failed and not v.bad_status, f"failed requests: {v.failed + v.bad_status}"
    assert typeset["typeset"] == typeset["maths"], f"math typeset: {typeset}"
    assert typeset["errors"] == 0, f"MathJax errors on the page: {typeset}"
    broken = [i["src"] for i in images if not i["ok"]]
    assert not broken, f"images that did not load: {broken}"
    if name.startswith("chapters/") and page(name).markdown.count("$"):
        assert typeset["maths"] > 0, "the chapter has math in its source, but none on the page"


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
def test_launch_button_opens_this_chapter_on_binder(visit: object, chapter: Page) -> None:
    v = visit(f"{chapter.name}.html")
    hub = config()["launch_buttons"]["binderhub_url"].rstrip("/")
    links = v.page.eval_on_selector_all(".dropdown-launch-buttons a, a.btn", "els => els.map(e => e.href)")
    binder = sorted({u for u in links if u.startswith(hub + "/")})
    assert binder == [binder_link(chapter.name)]
    repo = config()["repository"]["url"].rstrip("/")
    assert repo in {u.rstrip("/") for u in links}, "repository button"


def test_search_finds_a_chapter_by_a_word_of_its_title(visit: object) -> None:
    first = chapters()[0]
    word = max(re.findall(r"[A-Za-z]{4,}", first.title), key=len).lower()
    v = visit(f"search.html?q={word}")
    v.page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    hits = v.page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    assert any(f"{first.name}.html" in h for h in hits), f"searching {word!r} found {hits}"
    assert not v.errors and not v.outside


# ---------------------------------------------------------------- interactive figures without a kernel

#: A reader should see the figure follow the control at once (issue #15).
MAX_RESPONSE_MS = 100
#: What the states of one page's interactive figures may add to it (images, their table, script, style).
MAX_ADDED_BYTES = 3_000_000

MOVE = """async ([id, j, target]) => {
  const figure = document.getElementById(id);
  const input = figure.querySelector(`[data-control="${j}"]`);
  const image = figure.querySelector("img.rnnlib-states-image");
  const start = performance.now();
  input.value = String(target);
  input.dispatchEvent(new Event("input", {bubbles: true}));
  await image.decode();
  return {
    ms: performance.now() - start,
    src: image.getAttribute("src"),
    state: figure.dataset.state,
    status: figure.querySelector(".rnnlib-states-status").textContent,
    alt: image.alt,
    valuetext: input.getAttribute("aria-valuetext"),
  };
}"""

ADDED_BYTES = """() => {
  const ours = performance.getEntriesByType("resource").filter(
    r => ["/_figure_states/", "/_static/figure-states.js", "/_static/course.css"].some(part => r.name.includes(part)));
  const tables = Array.from(document.querySelectorAll("script.rnnlib-states-data"));
  return ours.reduce((n, r) => n + (r.encodedBodySize || r.transferSize), 0)
    + tables.reduce((n, t) => n + t.textContent.length, 0);
}"""


def _moves(n_values: int, start: int) -> list[int]:
    """Every value of a control of a few values; else the ends, the middle and back to the start."""
    if n_values <= 6:
        return [i for i in range(n_values) if i != start] + [start]
    return [0, n_values - 1, n_values // 2, start]


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
def test_every_interactive_figure_is_in_the_book_with_its_states(chapter: Page) -> None:
    """A widget cell's output reaches the page (no remove-output tag), and it stores the states
    that make its controls work there: rnnlib.widgets draws them when the notebook runs."""
    hidden = [
        code.splitlines()[-1]
        for code, tags in chapter.code_cells_tags
        if re.search(r"\b\w+_widget\(", code) and {"remove-output", "remove-cell"} & tags
    ]
    assert not hidden, f"{chapter.name}: interactive figures hidden from the book by a remove tag: {hidden}"
    assert len(chapter.figure_states) == chapter.widget_outputs, (
        f"{chapter.name}: {chapter.widget_outputs} widget outputs, {len(chapter.figure_states)} with stored states; "
        "re-execute the chapter (make execute) so that rnnlib.widgets stores them"
    )


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
def test_interactive_figures_have_working_controls_without_a_kernel(visit: object, chapter: Page) -> None:
    if not chapter.figure_states:
        pytest.skip(f"{chapter.name} has no interactive figure with stored states")
    v = visit(f"{chapter.name}.html")
    v.page.wait_for_load_state("networkidle")
    figures = v.page.eval_on_selector_all("figure.rnnlib-states.rnnlib-states-ready", "els => els.map(e => e.id)")
    assert len(figures) == len(chapter.figure_states), "every stored interactive figure is on the page, set up"
    slowest = 0.0
    for figure_id, states in zip(figures, chapter.figure_states, strict=True):
        state = [int(i) for i in states["start"].split(",")]
        for j, control in enumerate(states["controls"]):
            if len(control["values"]) < 2:
                continue  # shown as a fixed value, nothing to move
            images_seen = set()
            for target in _moves(len(control["values"]), state[j]):
                got = v.page.evaluate(MOVE, [figure_id, j, target])
                slowest = max(slowest, got["ms"])
                shown = [int(i) for i in got["state"].split(",")]
                assert got["state"] in states["states"], f"{figure_id} shows a state that was never drawn: {got}"
                assert got["src"].endswith(f"/{states['states'][got['state']]}.png"), got
                label = control["labels"][shown[j]]
                assert f"{control['label']} = {label}" in got["status"], got  # the matching state is named
                assert f"{control['label']} = {label}" in got["alt"], got
                if control["kind"] == "range":
                    assert got["valuetext"] == label, got
                images_seen.add(got["src"])
                state = shown
            assert len(images_seen) > 1, f"moving {control['label']!r} of {figure_id} never changed the figure"
    assert slowest < MAX_RESPONSE_MS, f"slowest response to a control: {slowest:.0f} ms"
    added = v.page.evaluate(ADDED_BYTES)
    assert added < MAX_ADDED_BYTES, f"the interactive figures add {added / 1e6:.2f} MB to {chapter.name}"
    assert not v.errors and not v.outside and not v.failed and not v.bad_status, v.errors + v.failed + v.bad_status


@pytest.mark.parametrize("chapter", chapters(), ids=lambda c: c.name)
def test_interactive_figures_fall_back_to_their_image_without_script(html_dir: Path, chapter: Page) -> None:
    """Before the script runs (or without it) a figure shows its starting state, with alt text."""
    if not chapter.figure_states:
        pytest.skip(f"{chapter.name} has no interactive figure with stored states")
    text = html_of(html_dir, chapter.name).read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="rnnlib-states".*?</figure>', text, flags=re.DOTALL)
    assert len(figures) == len(chapter.figure_states)
    for markup, states in zip(figures, chapter.figure_states, strict=True):
        image = re.search(r'<img class="rnnlib-states-image" src="([^"]+)"[^>]* alt="([^"]+)"', markup)
        assert image, markup[:300]
        assert image.group(1).endswith(f"/{states['states'][states['start']]}.png")
        assert (html_of(html_dir, chapter.name).parent / unquote(image.group(1))).resolve().is_file()
