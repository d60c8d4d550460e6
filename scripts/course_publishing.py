"""Sphinx extension for the course's three outputs (website, Binder links, PDF).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.  It does six things:

1. **Interactive figures work without a kernel.**  A stored notebook output that holds an
   ipywidgets view cannot work on a static page or on paper: there is no kernel to move
   the sliders.  When a page is read, before myst-nb picks a MIME type for each output,
   every widget view is replaced by a short note that says where the live sliders are (a
   Binder link built from the same ``repository`` and ``launch_buttons`` settings as the
   launch button, or a local Jupyter).  When the output also carries the figure's states,
   drawn ahead of time when the notebook ran (``rnnlib.widgets.InteractiveFigure.figure_states``,
   in the output's metadata), the note is followed by the figure itself: on the website,
   controls over those states, which ``_static/figure-states.js`` swaps as the reader moves
   them (nothing is computed in the browser, nothing is fetched from outside); in the PDF,
   a small-multiples figure of the most telling states, captioned.  No widget ``repr``
   text reaches a page.

2. **Nothing is fetched from outside the site, and pages load without console errors.**
   Every page's scripts and style sheets must be served with the site, so the book
   reads offline: a page that would load a file from ``http(s)://`` or ``//`` raises a
   Sphinx warning, which fails the strict build (``-W``).  The scripts of the disabled
   Thebe, and second copies of scripts registered twice, are dropped.

3. **rnnlib's docstrings read as written, and their references resolve.**  The library's docstrings are numpy style
   and name types in prose ("ndarray of shape (N, T, D)").  Two habits of plain-text
   docstrings clash with reStructuredText, and are adjusted before napoleon runs: an
   equation laid out with spaces in an indented block becomes a literal block, ``|x|``
   for an absolute value (which RST would read as a substitution) is escaped, and the
   one-paragraph docstring of a constant or property is left as prose (napoleon
   would otherwise take everything before its first colon for a type name).  A
   reference to a name that rnnlib re-exports (``rnnlib.fit``) links to the entry of
   the module that defines it (``rnnlib.training.fit``); a reference to an rnnlib object
   that exists but has no entry of its own (an undocumented constant) is printed as
   code without a link; a reference to a name that does not exist still fails the build.
   The ``rnnlib-other-modules`` directive closes the API page with every public module
   that api.md does not place in a group yet.

4. **The download button hands out the reader edition.**  After an HTML build, each
   chapter's ``_sources/<page>.ipynb`` (what the download button links to) is replaced by
   its reader edition (``scripts/reader_edition.py``), once every number the edition prints
   has been checked against the numbers Sphinx gave (a difference fails the strict build).

5. **The pages show the computation, not the bookkeeping.**  The ``glue`` calls that hand
   numbers and figures to the text, and the ``plt.close`` of a glued figure, are left out
   of the code cells the website and the PDF show (``reader_edition.book_code``); the
   notebooks keep them, and nbval runs them as they are.

6. **Pages pass an accessibility audit** (tests/publishing/test_accessibility.py): the
   bibliography's entries get the ARIA role their list requires.  The course's CSS
   (_static/course.css) and one template (_templates/) do the rest.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.latex.nodes import thebibliography
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
#: rnnlib.widgets.FIGURE_STATES_MIMETYPE (not imported, so the extension loads without rnnlib).
FIGURE_STATES_KEY = "application/vnd.rnnlib.figure-states+json"
#: Where the website's state images go, under the HTML output directory.
STATES_DIR = "_figure_states"

#: The _toc.yml caption whose pages become the PDF's appendices (lettered A, B, ...).
APPENDIX_CAPTION = "Reference"


def binder_url(theme_options: dict[str, Any], docname: str) -> str | None:
    """Return the Binder link that opens ``docname``'s notebook (in JupyterLab, as configured).

    The link has the same form as sphinx-book-theme's launch button,
    ``<binderhub>/v2/gh/<owner>/<repo>/<branch>?urlpath=lab/tree/<path>.ipynb``, and is
    built from the same settings, so the two can never disagree.  ``None`` when no
    Binder hub or no GitHub repository is configured.
    """
    launch = theme_options.get("launch_buttons") or {}
    hub = (launch.get("binderhub_url") or "").strip("/")
    repo_url = (theme_options.get("repository_url") or "").strip("/")
    parsed = urlparse(repo_url)
    parts = [p for p in parsed.path.split("/") if p]
    if not hub or parsed.netloc != "github.com" or len(parts) < 2:
        return None
    owner, repo = parts[0], parts[1].removesuffix(".git")
    branch = theme_options.get("repository_branch") or "main"
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[launch.get("notebook_interface", "classic")]
    book = (theme_options.get("path_to_docs") or "").strip("/")
    path = f"{book}/{docname}.ipynb" if book else f"{docname}.ipynb"
    return f"{hub}/v2/gh/{owner}/{repo}/{branch}?urlpath={ui}/{path}"


def _widget_note(url: str | None, docname: str, has_states: bool = False) -> nodes.admonition:
    note = nodes.admonition(classes=["note", "interactive-figure"])
    note += nodes.title(text="Interactive figure")
    para = nodes.paragraph()
    if has_states:
        para += nodes.Text(
            "This cell builds sliders. The figure below was drawn, when the chapter ran, for a few values "
            "of each control, which you can pick here; in a running notebook the controls take any value. "
            "For that, "
        )
    else:
        para += nodes.Text(
            "This cell builds sliders, and sliders need a running Python kernel, which a web page or a "
            "printed book does not have. The figure drawn with the default settings is shown in this "
            "section. To move the sliders, "
        )
    if url:
        para += nodes.reference("", "open this chapter on Binder", refuri=url, internal=False)
        para += nodes.Text(" (the rocket icon at the top of the web page does the same) or ")
    para += nodes.Text(f"run {docname}.ipynb in your own JupyterLab.")
    note += para
    return note


def _is_widget_bundle(node: nodes.Node) -> bool:
    return (
        isinstance(node, nodes.container)
        and node.get("nb_element", "") == "mime_bundle"
        and any(child.get("mime_type") == WIDGET_VIEW_MIMETYPE for child in node.children)
    )


def _stored_states(app: Sphinx, docname: str, bundle: nodes.Node, seen: dict[int, int]) -> dict[str, Any] | None:
    """The figure states stored with this widget output in the notebook, or None."""
    cell = bundle.parent
    while cell is not None and cell.get("nb_element") != "cell_code":
        cell = cell.parent
    path = Path(app.env.doc2path(docname))
    if cell is None or path.suffix != ".ipynb":
        return None
    import nbformat

    nb = nbformat.read(path, as_version=4)
    index = cell["cell_index"]
    widget_outputs = [out for out in nb.cells[index].get("outputs", []) if WIDGET_VIEW_MIMETYPE in out.get("data", {})]
    k = seen.get(index, 0)
    seen[index] = k + 1
    if k >= len(widget_outputs):
        return None
    return widget_outputs[k].get("metadata", {}).get(FIGURE_STATES_KEY)


def replace_widget_views(app: Sphinx, doctree: nodes.document) -> None:
    """Swap each widget-view output bundle for a note, and its stored states if any, whatever the builder.

    This runs when a page is read, while its own name is known (the LaTeX builder later
    merges every page into one document).  myst-nb's ``SelectMimeType`` post-transform
    would otherwise pick the widget's script tag for HTML, which shows nothing without
    the widget manager, and the widget's ``repr`` text for LaTeX.  The states are kept in
    a placeholder node that ``render_figure_states`` turns into HTML or LaTeX when a page
    is written.
    """
    docname = app.env.docname
    url = binder_url(app.config.html_theme_options, docname)
    seen: dict[int, int] = {}
    for k, bundle in enumerate(list(doctree.findall(_is_widget_bundle))):
        states = _stored_states(app, docname, bundle, seen)
        # In the PDF, start the note on a new page rather than split its title from its text.
        keep_together = nodes.raw("", "\\needspace{8\\baselineskip}\n", format="latex")
        new = [keep_together, _widget_note(url, docname, has_states=states is not None)]
        if states is not None:
            slug = re.sub(r"[^A-Za-z0-9_-]+", "-", docname) + f"-{k}"
            new.append(nodes.container(classes=["rnnlib-figure-states"], figure_states=states, states_slug=slug))
        bundle.replace_self(new)


def _is_states_placeholder(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and "figure_states" in node.attributes


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def states_html(states: dict[str, Any], slug: str, image_dir: str) -> str:
    """The website's figure: one labelled control per control with a choice (a range input for
    a slider, a menu otherwise), the image of the starting state, a live status line naming the
    state shown, and the states' table as JSON for ``_static/figure-states.js``."""
    import base64
    import html
    import json

    esc = html.escape
    start = [int(i) for i in states["start"].split(",")]
    rows = []
    for j, c in enumerate(states["controls"]):
        ident = f"{slug}-{c['name']}"
        value = c["labels"][start[j]]
        if len(c["values"]) < 2:
            rows.append(
                f'<div class="rnnlib-control rnnlib-control-fixed"><span class="rnnlib-control-label">'
                f'{esc(c["label"])}</span> <span>{esc(value)}</span> <span class="rnnlib-fixed-note">'
                "(fixed here)</span></div>"
            )
        elif c["kind"] == "range":
            rows.append(
                f'<div class="rnnlib-control"><label for="{ident}">{esc(c["label"])}</label> '
                f'<input type="range" id="{ident}" data-control="{j}" min="0" max="{len(c["values"]) - 1}" '
                f'step="1" value="{start[j]}" aria-valuetext="{esc(value)}"> '
                f'<output for="{ident}" id="{ident}-value">{esc(value)}</output></div>'
            )
        else:
            options = "".join(
                f'<option value="{i}"{" selected" if i == start[j] else ""}>{esc(label)}</option>'
                for i, label in enumerate(c["labels"])
            )
            rows.append(
                f'<div class="rnnlib-control"><label for="{ident}">{esc(c["label"])}</label> '
                f'<select id="{ident}" data-control="{j}">{options}</select></div>'
            )
    first = states["states"][states["start"]]
    width, height = _png_size(base64.b64decode(states["images"][first]))
    table = {
        "controls": [{"label": c["label"], "labels": c["labels"], "kind": c["kind"]} for c in states["controls"]],
        "start": states["start"],
        "states": states["states"],
        "images": [f"{image_dir}/{i}.png" for i in range(len(states["images"]))],
        "alt": states["alt"],
    }
    data = json.dumps(table, ensure_ascii=True).replace("</", "<\\/")
    return (
        f'<figure class="rnnlib-states" id="{slug}" data-state="{states["start"]}">'
        f'<div class="rnnlib-states-controls" role="group" aria-label="Controls of the figure">{"".join(rows)}</div>'
        f'<img class="rnnlib-states-image" src="{image_dir}/{first}.png" width="{width}" height="{height}" '
        f'alt="{esc(states["alt"][first])}">'
        f'<figcaption class="rnnlib-states-status" aria-live="polite"></figcaption>'
        f'<script type="application/json" class="rnnlib-states-data">{data}</script></figure>'
    )


_GREEK = {"σ": r"$\sigma$", "τ": r"$\tau$", "γ": r"$\gamma$", "η": r"$\eta$", "λ": r"$\lambda$"}


def _latex_text(text: str) -> str:
    from sphinx.util.texescape import escape

    out = escape(text, "xelatex")
    for letter, math in _GREEK.items():
        out = out.replace(letter, math)
    return out


def states_latex(states: dict[str, Any], slug: str, outdir: Path) -> str:
    """The PDF's figure: the highlighted states side by side, each with its setting, and a line saying what they are."""
    import base64

    keys = states["highlights"]
    cols = 2 if len(keys) in (2, 4) else min(3, len(keys))
    width = 0.98 / cols - 0.02
    panels = []
    for n, key in enumerate(keys):
        image = states["states"][key]
        name = f"{slug}-{image}.png"
        (outdir / name).write_bytes(base64.b64decode(states["images"][image]))
        idx = [int(i) for i in key.split(",")]
        setting = ", ".join(
            f"{c['label']} = {c['labels'][i]}"
            for c, i in zip(states["controls"], idx, strict=True)
            if len(c["values"]) > 1
        )
        panels.append(
            f"\\begin{{minipage}}[t]{{{width:.2f}\\linewidth}}\\centering"
            f"\\sphinxincludegraphics[width=\\linewidth]{{{{{name}}}}}\\\\[2pt]"
            f"{{\\small ({chr(97 + n)}) {_latex_text(setting)}}}\\end{{minipage}}"
            + ("\\par\\medskip\n" if (n + 1) % cols == 0 else "\\hfill\n")
        )
    varied = [c["label"] for c in states["controls"] if len(c["values"]) > 1]
    caption = (
        f"The interactive figure of this section at {len(keys)} settings of "
        f"{_latex_text(', '.join(varied))}. In the notebook the controls take any value."
    )
    # A float keeps the panels together; its caption is a plain line, not \\caption, so that the
    # figures numbered in the text keep the same numbers in the PDF as on the website.
    return "\\begin{figure}[htbp]\n\\centering\n" + "".join(panels) + f"{{\\small {caption}\\par}}\n\\end{{figure}}\n"


def render_figure_states(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Turn each states placeholder into the website's figure (its images written under
    ``_figure_states/``) or the PDF's small multiples; other builders drop it."""
    import base64

    for node in list(doctree.findall(_is_states_placeholder)):
        states, slug = node["figure_states"], node["states_slug"]
        outdir = Path(app.outdir)
        if app.builder.format == "html":
            folder = outdir / STATES_DIR / slug
            folder.mkdir(parents=True, exist_ok=True)
            for i, png in enumerate(states["images"]):
                (folder / f"{i}.png").write_bytes(base64.b64decode(png))
            up = "../" * docname.count("/")
            html = states_html(states, slug, f"{up}{STATES_DIR}/{slug}")
            node.replace_self(nodes.raw("", html, format="html"))
        elif app.builder.format == "latex":
            node.replace_self(nodes.raw("", states_latex(states, slug, outdir), format="latex"))
        else:
            node.parent.remove(node)


def _is_cell_input(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and "cell_input" in node.get("classes", [])


def hide_bookkeeping(app: Sphinx, doctree: nodes.document) -> None:
    """Show each code cell without the glue calls and figure closing that only the book needs.

    The code stays in the notebook (nbval executes it as it is); the page and the PDF show
    the computation and its results, and every glued number where the text uses it. A cell
    of bookkeeping alone loses its input box; its outputs, if any, stay.
    """
    import reader_edition  # scripts/ is on sys.path: it holds this extension

    for cell_input in list(doctree.findall(_is_cell_input)):
        for block in cell_input.findall(nodes.literal_block):
            shown = reader_edition.book_code(block.astext())
            if shown != block.astext():
                block.children = [nodes.Text(shown)]
                block.rawsource = shown
        if not any(block.astext().strip() for block in cell_input.findall(nodes.literal_block)):
            cell_input.parent.remove(cell_input)


def note_bibliography_pages(app: Sphinx, doctree: nodes.document) -> None:
    """Remember which pages hold a ``{bibliography}`` directive (see LatexBackMatter)."""
    if any(type(node).__name__ == "bibliography" for node in doctree.findall(nodes.Element)):
        pages = getattr(app.env, "course_bibliography_pages", set())
        pages.add(app.env.docname)
        app.env.course_bibliography_pages = pages


class LatexBackMatter(SphinxPostTransform):
    """Lay out the PDF's back matter.

    - The pages under the ``APPENDIX_CAPTION`` part of ``_toc.yml`` become appendices.
    - In LaTeX, Sphinx gathers every citation into one bibliography at the end of the
      book, which has its own heading and contents line.  The bibliography *page* would
      be left as an empty chapter, so it is dropped from the PDF (the website keeps it),
      and links to it land on the gathered bibliography instead.
    """

    default_priority = 800  # after Sphinx's BibliographyTransform and sphinx-jupyterbook-latex's
    formats = ("latex",)

    def run(self, **kwargs: Any) -> None:
        for start in list(self.document.findall(addnodes.start_of_file)):
            if start.get("docname") == APPENDIX_CAPTION:
                section = next(iter(start.findall(nodes.section)), None)
                if section is not None and section.children and isinstance(section[0], nodes.title):
                    section.insert(1, nodes.raw("", "\\appendix\n", format="latex"))
        gathered = next(iter(self.document.findall(thebibliography)), None)
        if gathered is None:
            return
        bibliography_pages = getattr(self.env, "course_bibliography_pages", set())
        for start in list(self.document.findall(addnodes.start_of_file)):
            docname = start.get("docname")
            if docname in bibliography_pages:
                ids = [i for node in start.findall(nodes.Element) for i in node.get("ids", [])]
                labels = [f"{docname}::doc"] + [f"{docname}:{i}" for i in ids]
                anchor = "\\cleardoublepage\\phantomsection" + "".join(
                    f"\\label{{\\detokenize{{{label}}}}}" for label in labels
                )
                gathered.parent.insert(gathered.parent.index(gathered), nodes.raw("", anchor + "\n", format="latex"))
                start.parent.remove(start)


def _is_external(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "//"))


def tidy_page_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Keep each page's scripts loadable offline and free of console errors.

    - Thebe (live code on the page) is switched off in _config.yml, since it would load
      its code from a CDN; its configuration script and loader, which sphinx-thebe adds
      anyway, are dropped.
    - Scripts that extensions registered twice are kept once: a second copy of an inline
      ``const`` declaration is a console error.
    - A script or style sheet from outside the site raises a warning (an error under -W).
    """
    thebe_on = bool((app.config.html_theme_options.get("launch_buttons") or {}).get("thebe"))
    kept, seen = [], set()
    for js in context.get("script_files", []):
        filename = getattr(js, "filename", None) or str(js)
        attributes = getattr(js, "attributes", {}) or {}
        if not thebe_on and ("THEBE_JS_URL" in attributes.get("body", "") or filename.endswith("sphinx-thebe.js")):
            continue
        key = (filename, tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept
    for asset in kept + list(context.get("css_files", [])):
        uri = getattr(asset, "filename", None) or str(asset)
        if _is_external(uri):
            logger.warning(
                "page %r loads %s from outside the site; the book must read offline, so serve it "
                "from _static or drop it",
                pagename,
                uri,
                location=pagename,
                type="course",
                subtype="external_asset",
            )


# |x| with no space inside the bars, outside ``inline literals``: an absolute value, not a substitution.
_ABS_VALUE = re.compile(r"(?<![\\|\w])\|(?=\S)([^|`\n]+?)(?<=\S)\|(?![\w|])")
_LITERAL = re.compile(r"(``.+?``)")
_PLAIN_KINDS = ("data", "attribute", "property")
_stash: dict[tuple[str, str], list[str]] = {}


def _escape_bars(line: str) -> str:
    if line.lstrip().startswith(("|", "+")):  # a table row or a line block: real RST syntax
        return line
    pieces = _LITERAL.split(line)
    return "".join(p if p.startswith("``") else _ABS_VALUE.sub(r"\\|\1\\|", p) for p in pieces)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _plain_text_blocks(lines: list[str]) -> tuple[list[str], set[int]]:
    """Show the indented blocks of a docstring's free text as literal blocks.

    In rnnlib's docstrings an indented block in the prose (before the first numpy-style
    section such as ``Parameters``) is an equation or a small table laid out with spaces,
    as in::

        The recurrence, for each step t,

            a_t = x_t W_xh + h_{t-1} W_hh + b_h     (pre-activation, (N, H))

    RST would read it as a block quote and complain about its uneven indentation, so the
    paragraph before it gets the ``::`` that makes it a literal block: monospace, every
    space kept.  Blocks that already are RST (after ``::``, a directive, a list item) are
    left alone.  Returns the new lines and the indices of the literal ones.
    """
    end = len(lines)
    for i in range(len(lines) - 1):
        if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip()):
            end = i
            break
    out: list[str] = []
    literal: set[int] = set()
    in_block = False
    for i, line in enumerate(lines):
        if i >= end or not line.strip():
            out.append(line)
            continue
        if _indent(line) == 0:
            in_block = False
            out.append(line)
            continue
        if not in_block and i > 0 and not lines[i - 1].strip():
            previous = next((j for j in range(len(out) - 1, -1, -1) if out[j].strip()), None)
            if previous is not None:
                text = out[previous].rstrip()
                opener = out[previous].lstrip()
                is_rst = (
                    text.endswith("::")
                    or opener.startswith((".. ", ":", "- ", "* ", "+ "))
                    or re.match(r"\d+[.)] ", opener)
                    or _indent(out[previous]) > 0
                )
                if not is_rst:
                    out[previous] = text + ":" if text.endswith(":") else text + " ::"
                    in_block = True
            else:
                out.insert(0, "::")
                out.insert(1, "")
                in_block = True
        if in_block:
            literal.add(len(out))
        out.append(line)
    return out, literal


def before_napoleon(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    prepared, literal = _plain_text_blocks(lines)
    lines[:] = [line if i in literal else _escape_bars(line) for i, line in enumerate(prepared)]
    if what in _PLAIN_KINDS:
        _stash[(what, name)] = list(lines)


def after_napoleon(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if (what, name) in _stash:
        lines[:] = _stash.pop((what, name))


def _lookup(dotted: str) -> Any:
    """The object a dotted name such as ``rnnlib.training.fit`` points to, or raise LookupError."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                raise LookupError(dotted)
            obj = getattr(obj, attr)
        return obj
    raise LookupError(dotted)


def resolve_rnnlib_reference(app: Sphinx, env: Any, node: Any, contnode: nodes.Node) -> nodes.Node | None:
    """Resolve references to rnnlib names that have no entry under the name used."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    module, cls = node.get("py:module") or "", node.get("py:class") or ""
    candidates = [target] if target.startswith("rnnlib.") else []
    if module.startswith("rnnlib"):
        candidates += [f"{module}.{cls}.{target}" if cls else "", f"{module}.{target}"]
    for name in filter(None, candidates):
        try:
            obj = _lookup(name)
        except LookupError:
            continue
        canonical = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
        if canonical.startswith("rnnlib.") and canonical != name:
            py = env.get_domain("py")
            found = py.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode)
            if found is not None:
                return found
        return contnode  # exists, but has no entry to link to
    return None


class OtherModules(SphinxDirective):
    """``.. rnnlib-other-modules::`` documents every public rnnlib module not yet on the page.

    api.md groups the modules by topic with one ``automodule`` each.  A module added to
    rnnlib later appears here, at the end of the page, until someone gives it a place in
    a group, so the API reference is never missing a module.
    """

    def run(self) -> list[nodes.Node]:
        # Re-read this page on every build: a new module file is not a dependency Sphinx tracks.
        pages = getattr(self.env, "course_other_modules_pages", set())
        self.env.course_other_modules_pages = pages | {self.env.docname}
        package = importlib.import_module("rnnlib")
        modules = pkgutil.iter_modules(package.__path__)
        public = sorted(f"rnnlib.{m.name}" for m in modules if not m.name.startswith("_"))
        py = self.env.get_domain("py")
        placed = {name for name, entry in py.modules.items() if entry.docname == self.env.docname}
        remaining = [name for name in public if name not in placed]
        if not remaining:
            return []
        logger.info("rnnlib modules not yet placed in a group of api.md: %s", ", ".join(remaining))
        lines = [".. rubric:: Modules not yet placed in a group above", ""]
        for name in remaining:
            lines += [f".. automodule:: {name}", "   :members:", ""]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="rnnlib-other-modules"), self.content_offset, container)
        return container.children


def rnnlib_names_used(cells: list[str]) -> set[str]:
    """The rnnlib functions, classes and constants the code cells of a chapter use, by their
    full dotted names where they are defined (``rnnlib.training.fit``, not ``rnnlib.fit``).
    Imports carry from one cell to the next, as in the notebook."""
    import ast

    import reader_edition  # for its reading of code cells with IPython magics

    modules: dict[str, Any] = {}  # local name -> rnnlib module
    used: set[str] = set()

    package = importlib.import_module("rnnlib")
    submodules = [importlib.import_module(f"rnnlib.{m.name}") for m in pkgutil.iter_modules(package.__path__)]

    def full_name(module: Any, attr: str) -> str | None:
        obj = getattr(module, attr, None)
        if obj is None or attr.startswith("_") or inspect.ismodule(obj):
            return None
        if inspect.isfunction(obj) or inspect.isclass(obj):
            return f"{obj.__module__}.{attr}"
        # a constant: the module that defines it, not the package that re-exports it
        home = next((m for m in submodules if vars(m).get(attr) is obj), module)
        return f"{home.__name__}.{attr}"

    def submodule(module: Any, attr: str) -> Any:
        try:
            return importlib.import_module(f"{module.__name__}.{attr}")
        except ImportError:
            return None

    for code in cells:
        try:
            tree = ast.parse(reader_edition._python(code))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "rnnlib":
                        name = alias.name if alias.asname else "rnnlib"
                        modules[alias.asname or "rnnlib"] = importlib.import_module(name)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rnnlib":
                source = importlib.import_module(node.module)
                for alias in node.names:
                    obj = getattr(source, alias.name, None)
                    if obj is None or inspect.ismodule(obj):
                        obj = submodule(source, alias.name)
                    if inspect.ismodule(obj):
                        modules[alias.asname or alias.name] = obj
                    elif (name := full_name(source, alias.name)) is not None:
                        used.add(name)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            # rnnlib.x, plots.x, or rnnlib.module.x
            chain, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                chain.insert(0, value.attr)
                value = value.value
            if not isinstance(value, ast.Name) or value.id not in modules:
                continue
            module = modules[value.id]
            for part in chain[:-1]:
                module = submodule(module, part)
                if module is None:
                    break
            else:
                if (name := full_name(module, chain[-1])) is not None:
                    used.add(name)
    return used


class ChapterIndex(SphinxDirective):
    """``.. rnnlib-chapter-index::`` lists, chapter by chapter, the rnnlib names its code uses.

    The list is read from the chapters themselves at every build, so it cannot drift from
    them; each name links to its entry below.
    """

    def run(self) -> list[nodes.Node]:
        import nbformat
        import reader_edition

        pages = getattr(self.env, "course_other_modules_pages", set())
        self.env.course_other_modules_pages = pages | {self.env.docname}  # re-read when chapters change
        book = reader_edition.load_book(Path(self.env.srcdir))
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 25 75", ""]
        lines += ["   * - Chapter", "     - What its code uses"]
        for docname in book.pages:
            if not docname.startswith("chapters/"):
                continue
            path = Path(self.env.srcdir) / f"{docname}.ipynb"
            if not path.exists():
                continue
            nb = nbformat.read(path, as_version=4)
            used = rnnlib_names_used([cell.source for cell in nb.cells if cell.cell_type == "code"])
            refs = ", ".join(f":py:obj:`~{name}`" for name in sorted(used, key=lambda n: n.rsplit(".", 1)[1].lower()))
            lines += [f"   * - :doc:`/{docname}`", f"     - {refs or '(none)'}"]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="rnnlib-chapter-index"), self.content_offset, container)
        return container.children


def _heading_numbers(edition: Any) -> list[tuple[int, ...]]:
    numbers = []
    for cell in edition.cells:
        if cell.cell_type != "markdown":
            continue
        in_fence = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            m = re.match(r"^#{1,6} ((?:\d+\.)+) ", line)
            if m and not in_fence:
                numbers.append(tuple(int(n) for n in m.group(1).rstrip(".").split(".")))
    return numbers


def write_reader_editions(app: Sphinx, exception: Exception | None) -> None:
    """Hand out the reader edition with the website's download button, numbered as the book.

    The download button of a notebook page links to ``_sources/<page>.ipynb``, the copy of
    the source that Sphinx keeps.  After a successful HTML build each such copy is replaced
    by the page's reader edition (scripts/reader_edition.py), after checking that every
    number the edition prints (chapters, sections, figures, exercises, equations) is the one
    Sphinx gave.  A chapter the generator cannot translate, or a number that differs, is a
    warning, so the strict build fails.
    """
    if exception is not None or app.builder.format != "html":
        return
    import reader_edition  # scripts/ is on sys.path: it holds this extension

    def warn(message: str, docname: str | None = None) -> None:
        logger.warning(message, location=docname, type="course", subtype="reader_edition")

    try:
        book = reader_edition.load_book(Path(app.srcdir))
    except reader_edition.ReaderEditionError as err:
        warn(f"reader edition: {err}")
        return
    env = app.env
    kinds = {"figure": "figure", "exercise": "exercise", "equation": "displaymath"}
    for label, target in book.targets.items():
        if target.kind not in kinds or target.number is None:
            continue
        node_id = f"equation-{label}" if target.kind == "equation" else label
        sphinx = env.toc_fignumbers.get(target.doc, {}).get(kinds[target.kind], {}).get(node_id)
        if sphinx is None or ".".join(map(str, sphinx)) != target.number:
            warn(f"reader edition numbers {target.kind} {label!r} {target.number}, the book {sphinx}", target.doc)
    for docname in book.notebooks():
        try:
            edition = reader_edition.make_edition(book, docname)
        except reader_edition.ReaderEditionError as err:
            warn(f"reader edition: {err}", docname)
            continue
        ours = _heading_numbers(edition)
        theirs = [n for n in env.toc_secnumbers.get(docname, {}).values() if n]
        if ours != theirs:
            warn(f"reader edition numbers the headings {ours}, the book {theirs}", docname)
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        if target.exists():
            target.write_text(reader_edition.nbformat.writes(edition) + "\n", encoding="utf-8")


def accessible_citations(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Give each entry of a citation list the ARIA role its list requires.

    Sphinx writes the bibliography as ``<div role="list">`` holding entries with
    ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1 deprecated and that a list may not
    hold (axe rules "aria-required-children", critical, and "aria-deprecated-role"). Each
    entry becomes a ``listitem``, which is what it is; its id and class stay, so links and
    styles are unchanged.
    """
    body = context.get("body")
    if isinstance(body, str) and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace(' role="doc-biblioentry"', ' role="listitem"')


def check_mathjax(app: Sphinx) -> None:
    if app.builder.format == "html" and _is_external(app.config.mathjax_path or ""):
        logger.warning("mathjax_path %s is external; MathJax must be served with the site", app.config.mathjax_path)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.napoleon")
    app.connect("doctree-read", replace_widget_views)
    app.connect("doctree-resolved", render_figure_states)
    app.connect("doctree-read", note_bibliography_pages)
    app.connect("doctree-read", hide_bookkeeping)
    app.add_post_transform(LatexBackMatter)
    app.connect("html-page-context", tidy_page_assets, priority=900)
    app.connect("html-page-context", accessible_citations)
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", write_reader_editions)
    app.connect("missing-reference", resolve_rnnlib_reference)
    app.add_directive("rnnlib-other-modules", OtherModules)
    app.add_directive("rnnlib-chapter-index", ChapterIndex)
    app.connect("env-get-outdated", lambda app, env, *changes: list(getattr(env, "course_other_modules_pages", ())))
    # napoleon listens with the default priority, 500.
    app.connect("autodoc-process-docstring", before_napoleon, priority=400)
    app.connect("autodoc-process-docstring", after_napoleon, priority=600)
    # Pages are read one at a time (jupyter-book does not read in parallel), which keeps the
    # set of bibliography pages above simple.
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
