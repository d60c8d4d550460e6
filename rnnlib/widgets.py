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

Adding a widget: write ``plot_xxx`` and ``xxx_widget`` at the end of this file, with
a test in ``tests/test_widgets.py`` that sets a control and checks what was redrawn.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from rnnlib._checks import _describe, positive_int
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
    """

    def __init__(
        self, plot: Callable[..., Figure], controls: Mapping[str, widgets.ValueWidget], fixed: Mapping[str, Any]
    ) -> None:
        self._plot = plot
        self._fixed = dict(fixed)
        self.controls = dict(controls)
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

    def __repr__(self) -> str:
        # Short and free of the PNG bytes, so a notebook's text output stays small and reproducible.
        values = ", ".join(f"{name}={value!r}" for name, value in self.control_values().items())
        return f"InteractiveFigure({values})"


def interactive_figure(
    plot: Callable[..., Figure], controls: Mapping[str, widgets.ValueWidget], **fixed: Any
) -> InteractiveFigure:
    """Wrap a plain plotting function in controls; see the module docstring for the pattern.

    Parameters
    ----------
    plot : callable
        function returning a Figure; it is called as ``plot(**fixed, **values)``
    controls : dict of str -> ValueWidget
        argument name -> ipywidgets control (e.g. IntSlider) whose ``value`` is passed
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
    return InteractiveFigure(plot, controls, fixed)


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
        a :class:`rnnlib.ManyToOneClassifier` (anything with ``forward(ids)``
        returning the states in ``cache["hs"]`` and params ``W_hy`` (H, 1), ``b_y`` (1,))
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


def step_through_widget(
    model: Any, vocab: Vocabulary, sentence: str | Sequence[str], t: int | None = None
) -> InteractiveFigure:
    """A slider over the steps of a sentence (and a box to type another), redrawing :func:`plot_step_through`.

    Parameters
    ----------
    model, vocab, sentence, t : object
        as for :func:`plot_step_through`; ``t`` is where the slider starts

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

    return interactive_figure(plot, {"t": slider, "sentence": text})


# ---------------------------------------------------------------------------
# Exploring vanishing and exploding gradients (chapter 5)
# ---------------------------------------------------------------------------


def gradient_explorer_widget(
    scale: float = 1.0, activation: str = "tanh", T: int = 50, kind: str = "orthogonal", seed: int = 0
) -> InteractiveFigure:
    """Sliders for sigma_max(W_hh), the activation, T and the kind of W_hh, redrawing
    :func:`rnnlib.plots.plot_gradient_norms` for that one setting (measured ||dh_T/dh_t|| and its bound).

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
    from rnnlib.gradients import MATRIX_KINDS
    from rnnlib.plots import plot_gradient_norms

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
        return plot_gradient_norms(scales=(scale,), activation=activation, T=T, kind=kind, seed=seed)

    return interactive_figure(plot, controls)
