"""Accessibility of the website as its readers get it (run after `make book`).

Every page in _toc.yml is audited by axe-core through ``axe-playwright-python``, which
bundles axe-core, so the audit runs offline: every rule in the theme's light mode, and
the colour rules again in its dark mode (nothing else changes with the mode, and a full
audit of a long page takes tens of seconds).  No rule is disabled, and a violation of any
impact fails: the site had none when this test was written
(issue #15 measured 25 serious colour-contrast violations and a moderate "region" one on
every page before _static/course.css, _templates/ and scripts/course_publishing.py fixed
their causes), so a new one is a regression.  The figures are checked as well: each has alt
text that says something, and in dark mode each sits on a light panel, since matplotlib
draws dark ink that would vanish on the dark page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _book import toc_pages
from test_site import TYPESET

MODES = ("light", "dark")
#: The rules whose outcome depends on the colour mode.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def axe_violations(page: object, rules: list[str] | None = None) -> list[dict]:
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="pip install axe-playwright-python")
    options: dict = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    return axe.Axe().run(page, options=options).response["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}")
        lines += [f"    {n['target']}: {n.get('failureSummary', '').splitlines()[-1].strip()}" for n in v["nodes"][:5]]
    return "\n".join(lines)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", toc_pages())
def test_page_passes_the_axe_audit(visit: object, name: str, mode: str) -> None:
    v = visit(f"{name}.html", dark=mode == "dark")
    v.page.evaluate(TYPESET)  # audit the page as read: with its maths typeset
    assert v.page.evaluate("document.documentElement.dataset.theme") == mode
    violations = axe_violations(v.page, None if mode == "light" else COLOUR_RULES)
    serious = [x for x in violations if x["impact"] in ("serious", "critical")]
    assert not serious, f"serious or critical accessibility violations on {name} ({mode}):\n{describe(serious)}"
    assert not violations, f"accessibility violations on {name} ({mode}):\n{describe(violations)}"


class _Images(HTMLParser):
    """The figures of a page (images inside <main>, other than the theme's icons), with their alt text."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "main":
            self.depth += 1
        elif tag == "img" and self.depth and "_static/" not in (a.get("src") or ""):  # not the theme's icons
            self.images.append((a.get("src") or "", a.get("alt")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.depth -= 1


@pytest.mark.parametrize("name", toc_pages())
def test_every_figure_has_alt_text_that_says_what_it_shows(html_dir: Path, name: str) -> None:
    parser = _Images()
    parser.feed((html_dir / f"{name}.html").read_text(encoding="utf-8"))
    for src, alt in parser.images:
        words = re.findall(r"\w+", alt or "")
        stem = Path(src).stem
        assert len(words) >= 3 and stem not in (alt or ""), f"{name}: image {src} has alt text {alt!r}"


FIGURE_PANELS = """() => Array.from(document.querySelectorAll("main img")).map(img => {
  const style = getComputedStyle(img);
  return {src: img.getAttribute("src"), background: style.backgroundColor, filter: style.filter};
})"""


@pytest.mark.parametrize("name", toc_pages())
def test_figures_sit_on_a_light_panel_in_dark_mode(visit: object, name: str) -> None:
    v = visit(f"{name}.html", dark=True)
    assert v.page.evaluate("document.documentElement.dataset.theme") == "dark"
    images = v.page.evaluate(FIGURE_PANELS)
    if not images:
        pytest.skip(f"{name} has no figure")
    dark = [i for i in images if i["background"] not in ("rgb(255, 255, 255)", "rgba(255, 255, 255, 1)")]
    assert not dark, f"figures without a light panel in dark mode on {name}: {dark}"
