"""Interactive figures that are also static figures, and that run in tests without a browser.

The pattern, once for the module and for every widget added to it:

1. A **plain plotting function** ``plot_xxx(..., knob=default) -> Figure`` draws one
   figure from its arguments, with nothing interactive in it. Its defaults draw a
   useful figure: that is what a chapter glues, so the website and the PDF (where no
   widget can run) show it.
2. A **widget function** ``xxx_widget(...) -> InteractiveFigure`` wraps the plain
   function with :func:`interactive_figure`: one control (slider, drop-down, text
   box) per knob, and an image that is redrawn from the plain function whenever a
   control changes. In a live notebook (JupyterLab, Binder) the sliders work.
3. **Headless testing.** The figure is rendered to PNG bytes into an
   :class:`ipywidgets.Image`, not shown through a plotting backend, so nothing needs a
   kernel or a browser. A test moves a control exactly as a reader would,
   ``w.children[0].value = 2`` (or ``w.controls["t"].value = 2``), and checks
   ``w.figure`` (the last :class:`~matplotlib.figure.Figure` drawn, whose artists and
   data can be inspected), ``w.image.value`` (the PNG) or ``w.status.value`` (the
   message shown when the arguments cannot be drawn).

4. **Pages without a kernel.** When a notebook shows the widget, it also stores, in the
   output's metadata, the figure drawn ahead of time for a small grid of control values
   (:meth:`InteractiveFigure.figure_states`: every option of a menu, every step of a short
   integer slider, a few values of a float slider, prepared inputs for a text box; see
   :func:`static_grid`). The book's build turns them into a figure whose controls work on
   the website with no kernel, and into small multiples in the PDF. A widget chooses its
   grid with ``interactive_figure(..., static_grid={...})``; each state costs one drawing
   when the notebook runs, so keep the grid to a few dozen states.

Adding a widget: write ``plot_xxx`` and ``xxx_widget`` at the end of this file, with
a test in ``tests/test_widgets.py`` that sets a control and checks what was redrawn.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from rnnlib._checks import _describe, check_temperature, positive_int
from rnnlib.activations import sigmoid
from rnnlib.data import Vocabulary, tokenize
from rnnlib.plots import DIVERGING_CMAP, OKABE_ITO, PALETTE


def figure_to_png(fig: Figure) -> bytes:
    """The figure rendered as PNG bytes, at the figure's own dpi."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {_describe(fig)}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


#: The key of the precomputed states in a widget output's metadata (see :meth:`InteractiveFigure.figure_states`).
FIGURE_STATES_MIMETYPE = "application/vnd.rnnlib.figure-states+json"
#: Resolution of the precomputed states: readable on a page, light to send.
STATE_DPI = 72
#: How many values a slider offers on a page without a kernel when no grid is given.
DEFAULT_STEPS = 7
_SLIDERS = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)


def _nice(x: float) -> float:
    return float(f"{x:.2g}")


def static_grid(control: widgets.ValueWidget, values: Sequence[Any] | None = None) -> list[Any]:
    """The values of one control for which a figure is drawn ahead of time, current value included.

    Parameters
    ----------
    control : ValueWidget
        the control
    values : sequence, optional
        the values to offer; by default: every option of a drop-down, both states of a check
        box, every step of an integer slider of at most 25 steps (else ``DEFAULT_STEPS`` evenly
        spaced ones), ``DEFAULT_STEPS`` evenly spaced values of a float slider (evenly spaced
        exponents for a log slider), and the current text of a text box (pass prepared inputs
        to offer a menu)

    Returns
    -------
    values : list
        sorted for a slider, in the given order otherwise, without repeats
    """
    current = control.value
    if values is not None:
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"the grid of a control must be a non-empty list of values; got {_describe(values)}")
        grid = list(values)
    elif isinstance(control, (widgets.Dropdown, widgets.Select, widgets.RadioButtons, widgets.ToggleButtons)):
        grid = [value for _, value in control._options_full] if hasattr(control, "_options_full") else []
        grid = grid or list(control.options)
    elif isinstance(control, widgets.Checkbox):
        grid = [False, True]
    elif isinstance(control, widgets.IntSlider):
        lo, hi, step = control.min, control.max, control.step or 1
        n = (hi - lo) // step + 1
        spaced = {round(v) for v in np.linspace(lo, hi, DEFAULT_STEPS)}
        grid = list(range(lo, hi + 1, step)) if n <= 25 else sorted(spaced)
    elif isinstance(control, widgets.FloatLogSlider):
        grid = [_nice(control.base**e) for e in np.linspace(control.min, control.max, DEFAULT_STEPS)]
    elif isinstance(control, widgets.FloatSlider):
        grid = [_nice(v) for v in np.linspace(control.min, control.max, DEFAULT_STEPS)]
    else:
        grid = []
    if current not in grid:
        grid.append(current)
    if isinstance(control, _SLIDERS):
        grid = sorted(grid)
    return list(dict.fromkeys(grid))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value if isinstance(value, str) else str(value)


def _format_value(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.3g}"
    return str(value)


_MATH = re.compile(r"\$|\\|\{|\}")


def describe_figure(fig: Figure) -> str:
    """A plain-text description of a figure from its own text: its title, then each panel's
    title and axis labels (TeX markup removed). Used as the alt text of precomputed states."""
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {_describe(fig)}")
    parts = []
    if fig.get_suptitle():  # "" when the figure has no suptitle
        parts.append(fig.get_suptitle())
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        title = ax.get_title() or ax.get_title("left")
        x, y = ax.get_xlabel(), ax.get_ylabel()
        panel = ", ".join(p for p in (title, f"{y} against {x}" if x and y else y or x) if p)
        if panel:
            parts.append(panel)
    text = "; ".join(parts) or "a figure"
    text = _MATH.sub("", text.replace("\\hat{y}", "y hat").replace("\\n", " "))
    return re.sub(r"\s+", " ", text).strip()


def _small_png(fig: Figure, dpi: int) -> bytes:
    """PNG bytes at ``dpi``, in a 256-colour palette (about a third of the full-colour size)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image  # matplotlib's own dependency

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
    out = io.BytesIO()
    rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _highlights(controls: list[dict[str, Any]], states: Mapping[str, int], n: int = 4) -> list[str]:
    """Up to ``n`` telling states for print: the first control with a choice, across its range
    (first, last and evenly between), every other control at its starting value."""
    start = [c["start"] for c in controls]
    for k, c in enumerate(controls):
        m = len(c["values"])
        if m < 2:
            continue
        picks = sorted({round(i) for i in np.linspace(0, m - 1, min(n, m))})
        keys = []
        for i in picks:
            combo = list(start)
            combo[k] = i
            key = ",".join(map(str, combo))
            if key in states:
                keys.append(key)
        if len(keys) >= 2:
            return keys
    return [next(iter(states))]


class InteractiveFigure(widgets.VBox):
    """Controls above an image that is redrawn by ``plot(**fixed, **control values)``.

    Attributes
    ----------
    controls : dict of str -> ValueWidget
        the control widgets by argument name, in display order (also ``children[:-2]``)
    image : ipywidgets.Image
        the last figure as PNG
    status : ipywidgets.HTML
        empty, or the error message when ``plot`` refused the values
    figure : Figure | None
        the last Figure drawn (None if the first drawing failed)
    grid : dict of str -> list
        the values of each control for which :meth:`figure_states` draws the figure ahead
        of time, for pages with no kernel (see :func:`static_grid`)
    """

    def __init__(
        self,
        plot: Callable[..., Figure],
        controls: Mapping[str, widgets.ValueWidget],
        fixed: Mapping[str, Any],
        grid: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        self._plot = plot
        self._fixed = dict(fixed)
        self.controls = dict(controls)
        self.grid = {name: static_grid(c, (grid or {}).get(name)) for name, c in self.controls.items()}
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML(value="")
        self.figure: Figure | None = None
        super().__init__(children=[*self.controls.values(), self.image, self.status])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    def control_values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def redraw(self) -> Figure | None:
        """Draw the figure for the current control values; show the error instead if there is one."""
        try:
            fig = self._plot(**self._fixed, **self.control_values())
        except (ValueError, TypeError) as err:  # a reader's input we cannot draw: say why, keep the old image
            self.status.value = f"<b>Cannot draw this:</b> {html.escape(str(err))}"
            return None
        self.figure = fig
        self.image.value = figure_to_png(fig)
        self.status.value = ""
        return fig

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self.redraw()

    def figure_states(self, dpi: int = STATE_DPI) -> dict[str, Any]:
        """The figure drawn ahead of time for every combination of the values in ``grid``.

        This is what a page without a kernel shows (the website, the PDF): the controls
        with the values of the grid, and one PNG per combination that ``plot`` can draw
        (combinations it refuses, such as a step beyond the end of a shorter sentence,
        are left out). It is stored with the widget's output in the notebook (see
        :meth:`_repr_mimebundle_`) and drawn by the same plain function as the live figure.

        Parameters
        ----------
        dpi : int
            resolution of the PNGs (modest, to keep the page light)

        Returns
        -------
        dict with
            controls : list of dict, one per control in display order, with ``name``,
            ``label`` (the control's description), ``kind`` ("range" for a slider,
            "select" otherwise), ``values`` (JSON values), ``labels`` (how each value is
            shown) and ``start`` (the index of the control's current value)
            states : dict of str -> int, ``"i,j,..."`` (an index into each control's
            values) -> index into ``images``
            images : list of str, base64 PNG
            alt : list of str, alt text of each image (what its figure shows)
            highlights : list of str, keys of the states a printed page shows side by side
        """
        dpi = positive_int("dpi", dpi)
        names = list(self.controls)
        grids = [self.grid[n] for n in names]
        start_values = self.control_values()
        images: list[str] = []
        alts: list[str] = []
        seen: dict[str, int] = {}
        states: dict[str, int] = {}
        for combo in itertools.product(*(range(len(g)) for g in grids)):
            values = {n: g[i] for n, g, i in zip(names, grids, combo, strict=True)}
            try:
                fig = self._plot(**self._fixed, **values)
            except (ValueError, TypeError):
                continue  # not a combination the plot draws: the page moves to the nearest one that is
            png = base64.b64encode(_small_png(fig, dpi)).decode("ascii")
            if png not in seen:
                seen[png] = len(images)
                images.append(png)
                alts.append(describe_figure(fig))
            states[",".join(map(str, combo))] = seen[png]
        if not states:
            raise ValueError("no combination of the grid values could be drawn")
        controls = []
        for name, g in zip(names, grids, strict=True):
            c = self.controls[name]
            start = g.index(start_values[name]) if start_values[name] in g else 0
            controls.append(
                {
                    "name": name,
                    "label": c.description or name,
                    "kind": "range" if isinstance(c, _SLIDERS) else "select",
                    "values": [_jsonable(v) for v in g],
                    "labels": [_format_value(v) for v in g],
                    "start": start,
                }
            )
        start_key = ",".join(str(c["start"]) for c in controls)
        return {
            "version": 1,
            "controls": controls,
            "start": start_key if start_key in states else next(iter(states)),
            "states": states,
            "images": images,
            "alt": alts,
            "highlights": _highlights(controls, states),
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The live widget's bundle, with :meth:`figure_states` in the output's metadata.

        JupyterLab shows the widget and ignores the metadata; the book's build
        (``scripts/course_publishing.py``) turns the states into a figure whose controls
        work without a kernel. In the metadata, not the data, because nbval compares
        the data of every output with a fresh run, and PNG bytes are not a result.
        """
        data = super()._repr_mimebundle_(**kwargs)
        if isinstance(data, tuple):  # pragma: no cover - a future ipywidgets returning metadata too
            data, metadata = data
        else:
            metadata = {}
        try:
            metadata[FIGURE_STATES_MIMETYPE] = self.figure_states()
        except ValueError:
            pass  # nothing drawable ahead of time; the page falls back to a note
        return data, metadata

    def __repr__(self) -> str:
        # Short and free of the PNG bytes, so a notebook's text output stays small and reproducible.
        values = ", ".join(f"{name}={value!r}" for name, value in self.control_values().items())
        return f"InteractiveFigure({values})"


def interactive_figure(
    plot: Callable[..., Figure],
    controls: Mapping[str, widgets.ValueWidget],
    *,
    static_grid: Mapping[str, Sequence[Any]] | None = None,
    **fixed: Any,
) -> InteractiveFigure:
    """Wrap a plain plotting function in controls; see the module docstring for the pattern.

    Parameters
    ----------
    plot : callable
        function returning a Figure; it is called as ``plot(**fixed, **values)``
    controls : dict of str -> ValueWidget
        argument name -> ipywidgets control (e.g. IntSlider) whose ``value`` is passed
    static_grid : dict of str -> sequence, optional
        for some controls, the values a page without a kernel offers (see
        :func:`rnnlib.widgets.static_grid` for the default of each kind of control)
    **fixed : object
        arguments passed unchanged on every call (data, a model, ...)

    Returns
    -------
    widget : InteractiveFigure
        already drawn once
    """
    if not callable(plot):
        raise TypeError(f"plot must be a function returning a Figure; got {_describe(plot)}")
    if not isinstance(controls, Mapping) or not all(isinstance(c, widgets.ValueWidget) for c in controls.values()):
        raise TypeError(f"controls must be a dict of name -> ipywidgets control; got {_describe(controls)}")
    clash = set(controls) & set(fixed)
    if clash:
        raise ValueError(f"an argument is either a control or fixed, not both; got both for {sorted(clash)}")
    if static_grid is not None:
        if not isinstance(static_grid, Mapping) or set(static_grid) - set(controls):
            raise ValueError(
                f"static_grid must map control names {sorted(controls)} to values; got {_describe(static_grid)}"
            )
    return InteractiveFigure(plot, controls, fixed, static_grid)


# ---------------------------------------------------------------------------
# Stepping through a sentence (chapter 2)
# ---------------------------------------------------------------------------


def step_through_data(model: Any, vocab: Vocabulary, sentence: str | Sequence[str]) -> dict[str, Any]:
    """Run a many-to-one classifier over one sentence and keep every step.

    Because y_hat is read from the last state, ``sigmoid(h_t W_hy + b_y)`` is exactly what
    the model would predict if the sentence stopped after its t-th token.

    Parameters
    ----------
    model : object
        a :class:`rnnlib.ManyToOne` reading token ids with ``task="binary"`` (anything with
        ``forward(ids)`` returning the states in ``cache["hs"]`` and params ``W_hy`` (H, 1),
        ``b_y`` (1,))
    vocab : Vocabulary
        the :class:`rnnlib.Vocabulary` the model was trained with
    sentence : str | sequence
        a str (tokenised with :func:`rnnlib.tokenize`) or a list of T tokens;
        unknown words become ``<unk>``

    Returns
    -------
    dict with
        tokens : list of T str, as the model saw them (unknown words shown as ``<unk>``)
        ids : ndarray of shape (T,) of token ids
        hs : ndarray of shape (T, H), the hidden state h_t after every step
        probs : ndarray of shape (T,), y_hat after each prefix
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an rnnlib.Vocabulary; got {_describe(vocab)}")
    if isinstance(sentence, str):
        words = tokenize(sentence)
    elif isinstance(sentence, Sequence) and all(isinstance(w, str) for w in sentence):
        words = list(sentence)
    else:
        raise TypeError(f"sentence must be a str or a list of str tokens; got {_describe(sentence)}")
    if not words:
        raise ValueError(f"sentence must contain at least one token; got {sentence!r}")
    ids = np.array(vocab.encode(words), dtype=np.int64)
    _, cache = model.forward(ids[None, :])
    hs = cache["hs"][0]  # (T, H)
    probs = sigmoid(hs @ model.params["W_hy"][:, 0] + model.params["b_y"][0])  # (T,)
    tokens = [vocab.id_to_token[i] for i in ids]
    return {"tokens": tokens, "ids": ids, "hs": hs, "probs": probs}


def plot_step_through(model: Any, vocab: Vocabulary, sentence: str | Sequence[str], t: int | None = None) -> Figure:
    """The hidden state after every step of a sentence, and the prediction after every prefix.

    Top: a heat strip of h_t, one column per token and one row per hidden unit; the
    column of step ``t`` is framed, and the steps the network has not read yet are greyed
    out. Bottom: y_hat after each prefix up to step ``t``, with the 0.5 threshold.

    Parameters
    ----------
    model, vocab, sentence : object
        as for :func:`step_through_data`
    t : int | None
        the step to show, 1 to T; default T (the whole sentence has been read)

    Returns
    -------
    fig : Figure
        with Axes "states" (the heat strip, its image's data is hs.T of shape
        (H, T) with unread steps masked), "prediction" and a colour bar; the title names
        the step, the token and y_hat
    """
    d = step_through_data(model, vocab, sentence)
    tokens, hs, probs = d["tokens"], d["hs"], d["probs"]
    T, H = hs.shape
    t = T if t is None else positive_int("t", t)
    if t > T:
        raise ValueError(f"t must be a step of the sentence, 1 to T={T}; got {t}")

    fig = Figure(figsize=(max(6.0, 1.6 + 0.62 * T), 2.4 + 0.16 * H), dpi=100, layout="constrained")
    states, prediction = fig.subplots(2, 1, sharex=True, height_ratios=[max(H, 4), 5])
    states.set_gid("states")
    prediction.set_gid("prediction")

    lim = max(1.0, float(np.abs(hs).max()))  # tanh states lie in [-1, 1]
    cmap = colormaps[DIVERGING_CMAP].with_extremes(bad="#DDDDDD")  # unread steps in grey
    unread = np.zeros((H, T), dtype=bool)
    unread[:, t:] = True
    image = states.imshow(np.ma.masked_array(hs.T, mask=unread), cmap=cmap, vmin=-lim, vmax=lim, aspect="auto")
    states.add_patch(Rectangle((t - 1.5, -0.5), 1, H, fill=False, ec=OKABE_ITO["black"], lw=2.5, gid="current"))
    if t < T:
        states.text((t + T - 1) / 2, (H - 1) / 2, "not read yet", ha="center", va="center", fontsize=9, color="#555555")
    states.set_ylabel("hidden unit")
    states.set_yticks(range(H) if H <= 8 else range(0, H, 4))
    fig.colorbar(image, ax=states, label="$h_t$", shrink=0.9)

    steps = np.arange(t)
    prediction.axhline(0.5, color=OKABE_ITO["black"], lw=1, ls="--")
    prediction.plot(steps, probs[:t], color=PALETTE[0], marker="o", lw=1.8, gid="probs")
    prediction.plot([t - 1], [probs[t - 1]], color=PALETTE[1], marker="o", ms=11, ls="none", gid="current_prob")
    prediction.set(ylim=(-0.05, 1.05), ylabel=r"$\hat{y}$ after prefix", xlim=(-0.5, T - 0.5))
    prediction.spines[["top", "right"]].set_visible(False)
    prediction.set_xticks(range(T), [f"{i + 1}\n{w}" for i, w in enumerate(tokens)])
    for i, label in enumerate(prediction.get_xticklabels()):
        label.set_fontweight("bold" if i == t - 1 else "normal")
        label.set_color(OKABE_ITO["black"] if i < t else "#888888")
    verdict = "positive" if probs[t - 1] >= 0.5 else "negative"
    fig.suptitle(
        f"step t = {t} of {T}: after \u201c{tokens[t - 1]}\u201d, $\\hat{{y}}$ = {probs[t - 1]:.2f} ({verdict} so far)",
        fontsize=11,
    )
    return fig


#: The sentences a page without a kernel offers besides the widget's own (chapter 2's exercise).
STEP_THROUGH_EXAMPLES = ("The film was not good, actually awful.",)


def step_through_widget(
    model: Any,
    vocab: Vocabulary,
    sentence: str | Sequence[str],
    t: int | None = None,
    examples: Sequence[str] = STEP_THROUGH_EXAMPLES,
) -> InteractiveFigure:
    """A slider over the steps of a sentence (and a box to type another), redrawing :func:`plot_step_through`.

    Parameters
    ----------
    model, vocab, sentence, t : object
        as for :func:`plot_step_through`; ``t`` is where the slider starts
    examples : sequence of str
        sentences that a page without a kernel offers in a menu instead of the text box,
        after ``sentence``; each step of each is drawn ahead of time

    Returns
    -------
    widget : InteractiveFigure
        whose controls are ``"t"`` (an IntSlider, ``children[0]``)
        and ``"sentence"`` (a Text box, ``children[1]``). Typing a new sentence resets
        the slider's range to its length and moves it to the last step.
    """
    T = len(step_through_data(model, vocab, sentence)["tokens"])  # also validates the arguments
    start = T if t is None else positive_int("t", t)
    if start > T:
        raise ValueError(f"t must be a step of the sentence, 1 to T={T}; got {t}")
    slider = widgets.IntSlider(value=start, min=1, max=T, step=1, description="t", continuous_update=False)
    text = widgets.Text(
        value=sentence if isinstance(sentence, str) else " ".join(sentence),
        description="sentence",
        continuous_update=False,
        layout=widgets.Layout(width="95%"),
    )

    def new_sentence(change: Mapping[str, Any]) -> None:
        # Registered before interactive_figure's own observer, so the slider already fits
        # the new sentence when the figure is redrawn for it.
        try:
            n = len(step_through_data(model, vocab, change["new"])["tokens"])
        except (ValueError, TypeError):
            return  # the redraw that follows reports the problem in w.status
        with slider.hold_trait_notifications():
            slider.max = n
            slider.value = n

    text.observe(new_sentence, names="value")

    def plot(sentence: str, t: int) -> Figure:
        return plot_step_through(model, vocab, sentence, t)

    if isinstance(examples, str) or not all(isinstance(e, str) for e in examples):
        raise TypeError(f"examples must be a list of str sentences; got {_describe(examples)}")
    menu = list(dict.fromkeys([text.value, *examples]))
    longest = max(len(step_through_data(model, vocab, e)["tokens"]) for e in menu)
    grid = {"t": list(range(1, longest + 1)), "sentence": menu}
    return interactive_figure(plot, {"t": slider, "sentence": text}, static_grid=grid)


# ---------------------------------------------------------------------------
# Exploring vanishing and exploding gradients (chapter 5)
# ---------------------------------------------------------------------------


def gradient_explorer_widget(
    scale: float = 1.0, activation: str = "tanh", T: int = 50, kind: str = "orthogonal", seed: int = 0
) -> InteractiveFigure:
    """Sliders for sigma_max(W_hh), the activation, T and the kind of W_hh, redrawing
    :func:`rnnlib.plots.plot_jacobian_norm_curves` for that one setting: ||dh_T/dh_t|| measured by
    :func:`rnnlib.gradients.jacobian_norm_curves_by_activation`, and its bound.

    The network is drawn from ``seed`` on every redraw, so moving one control changes only
    that one thing: the same matrix direction and inputs, rescaled or passed through
    another activation.

    Parameters
    ----------
    scale, activation, T, kind : float
        where the controls start
    seed : int
        seeds the random network and inputs

    Returns
    -------
    widget : InteractiveFigure
        with controls ``"scale"`` (FloatSlider, ``children[0]``),
        ``"activation"`` (Dropdown, ``children[1]``), ``"T"`` (IntSlider, ``children[2]``) and
        ``"kind"`` (Dropdown, ``children[3]``); ``w.figure`` holds the lines with gid
        "measured" and "bound"
    """
    # imported here so that this chapter's block stays self-contained at the end of the module
    from rnnlib.activations import ACTIVATIONS
    from rnnlib.gradients import MATRIX_KINDS, jacobian_norm_curves_by_activation
    from rnnlib.plots import plot_jacobian_norm_curves

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")

    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
    if kind not in MATRIX_KINDS:
        raise ValueError(f"kind must be one of {list(MATRIX_KINDS)}; got {kind!r}")
    T = positive_int("T", T)
    if not 2 <= T <= 200:
        raise ValueError(f"T must be between 2 and 200 for the slider; got {T}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0.1 <= scale <= 3.0:
        raise ValueError(f"scale must be a number between 0.1 and 3 for the slider; got {scale!r}")
    style = {"description_width": "initial"}
    controls = {
        "scale": widgets.FloatSlider(
            value=scale, min=0.1, max=3.0, step=0.05, description="σ_max(W_hh)", continuous_update=False, style=style
        ),
        "activation": widgets.Dropdown(
            options=["tanh", "relu", "linear", "sigmoid"], value=activation, description="activation"
        ),
        "T": widgets.IntSlider(value=T, min=2, max=200, step=1, description="T", continuous_update=False),
        "kind": widgets.Dropdown(options=list(MATRIX_KINDS), value=kind, description="W_hh"),
    }

    def plot(scale: float, activation: str, T: int, kind: str) -> Figure:
        curves = jacobian_norm_curves_by_activation((scale,), activation, T, seed=seed, kind=kind)
        return plot_jacobian_norm_curves(curves)

    # Ahead of time (pages without a kernel): sigma_max below, at and above 1 for each
    # activation; T and the kind of matrix stay where they start.
    scales = sorted({0.5, 1.0, 2.0, scale})
    return interactive_figure(plot, controls, static_grid={"scale": scales, "T": [T], "kind": [kind]})


# ---------------------------------------------------------------------------
# Sampling a character model at a temperature (chapter 7)
# ---------------------------------------------------------------------------


def temperature_widget(
    model: Any,
    vocab: Vocabulary,
    prime: str = "Alice ",
    temperature: float = 0.5,
    examples: Sequence[str] = ("Alice ", "the Queen ", "said the "),
) -> InteractiveFigure:
    """A text box for the prime and a slider for the temperature over :func:`rnnlib.plots.plot_next_character`.

    The bars compare the model's own distribution (τ = 1) with the one at the chosen
    temperature.  Headless tests set ``w.controls["temperature"].value`` (or
    ``"prime"``) and read ``w.figure``; a prime with unknown characters shows a message
    in ``w.status`` instead of a figure.

    Parameters
    ----------
    model : CharLM
        A trained :class:`rnnlib.charlm.CharLM`.
    vocab : Vocabulary
        Its characters.
    prime : str
        The text the model has read when the widget opens.
    temperature : float
        The temperature when the widget opens, above 0.
    examples : sequence of str
        Further primes drawn ahead of time, with ``prime``, for pages with no kernel (the
        website offers them as a menu; a live notebook takes any text).  Primes with a
        character the model has never seen are left out of that menu.

    Returns
    -------
    InteractiveFigure
        The widget.
    """
    # imported here so that this chapter's block stays self-contained at the end of the module
    from rnnlib.charlm import CharLM, next_character_probabilities
    from rnnlib.plots import plot_next_character

    if not isinstance(model, CharLM):
        raise TypeError(f"model must be an rnnlib.charlm.CharLM; got {_describe(model)}")
    if isinstance(examples, str) or not all(isinstance(e, str) and e for e in examples):
        raise TypeError(f"examples must be a list of non-empty str primes; got {_describe(examples)}")
    controls = {
        "prime": widgets.Text(value=prime, description="prime", continuous_update=False),
        "temperature": widgets.FloatLogSlider(
            value=check_temperature(temperature), base=10, min=-2, max=1, step=0.05, description="τ"
        ),
    }

    def draw(model: CharLM, vocab: Vocabulary, prime: str, temperature: float) -> Figure:
        taus = dict.fromkeys((1.0, float(temperature)))  # the model's own distribution first, each once
        probs = {f"τ = {t:g}": next_character_probabilities(model, vocab, prime, t) for t in taus}
        return plot_next_character(probs, vocab, prime)

    menu = [p for p in dict.fromkeys([prime, *examples]) if all(ch in vocab for ch in p)]
    # five temperatures, the chapter's three among them, keep the drawing ahead of time to about a second
    taus = sorted({0.2, 0.5, 1.0, 1.5, 3.0, float(controls["temperature"].value)})
    return interactive_figure(
        draw, controls, static_grid={"prime": menu or [prime], "temperature": taus}, model=model, vocab=vocab
    )
