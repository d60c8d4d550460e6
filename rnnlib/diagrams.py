"""Diagrams of recurrent networks, drawn with matplotlib in one house style.

Every chapter that shows the structure of a network draws it with this module, so
the rolled loop of chapter 2, the architectures of chapter 3 and the unrolled
graphs of chapters 4 and 5 look like parts of one book, in HTML and in the PDF.

The style, once for the module:

- a value is a rounded box with its symbol in it: inputs ``x_t`` in sky blue,
  hidden states ``h_t`` in orange, outputs ``y_hat`` in bluish green (Okabe and
  Ito's colour-blind-safe colours, as tints so black text stays readable); the
  symbol, not the colour, carries the meaning, so the diagrams also read in grey;
- an arrow is a parameter matrix acting on a value, coloured by *which* matrix it
  is (``W_xh`` blue, ``W_hh`` vermillion, ``W_hy`` bluish green) and labelled with
  it, so that parameter sharing is visible: every arrow of one colour is the same
  matrix;
- symbols are matplotlib mathtext with the default DejaVu fonts, so nothing needs
  an external font or a LaTeX installation;
- every function returns a new :class:`matplotlib.figure.Figure` (never a pyplot
  figure), which the chapters glue and save as PNG;
- every drawn box and arrow carries a ``gid`` (``"h_2"``, ``"W_hh:1->2"``, ...), so
  tests can check what was drawn without looking at pixels.

To add a diagram, build it from :func:`_box`, :func:`_arrow` and :func:`_canvas`
below, and append it at the end of the file with a test in ``tests/test_diagrams.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from rnnlib._checks import _describe, positive_int
from rnnlib.plots import OKABE_ITO


def _tint(hex_colour: str, amount: float = 0.55) -> tuple[float, float, float]:
    """``hex_colour`` mixed with white; ``amount`` is the share of white."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return tuple(float(c) for c in (1 - amount) * rgb + amount)  # type: ignore[return-value]


#: Fill and edge colour of each kind of box.
BOX_STYLES: dict[str, dict[str, object]] = {
    "input": {"facecolor": _tint(OKABE_ITO["sky_blue"]), "edgecolor": OKABE_ITO["blue"]},
    "hidden": {"facecolor": _tint(OKABE_ITO["orange"]), "edgecolor": "#9A6A00"},
    "output": {"facecolor": _tint(OKABE_ITO["bluish_green"]), "edgecolor": "#00694D"},
    "decoder": {"facecolor": _tint(OKABE_ITO["reddish_purple"]), "edgecolor": "#8E4B73"},
    "initial": {"facecolor": "white", "edgecolor": "#555555"},
}

#: Colour of the arrows carrying each parameter matrix (and of feedback arrows).
ARROW_COLOURS: dict[str, str] = {
    "W_xh": OKABE_ITO["blue"],
    "W_hh": OKABE_ITO["vermillion"],
    "W_hy": "#00805E",
    "feedback": "#555555",
    "context": "#A4527F",
}

#: Mathtext label of each parameter matrix.
WEIGHT_LABELS: dict[str, str] = {"W_xh": r"$W_{xh}$", "W_hh": r"$W_{hh}$", "W_hy": r"$W_{hy}$"}

#: Box size and the spacing of the grid, in data units (1 unit = 1 inch at scale 1).
BOX_W, BOX_H = 0.8, 0.5
COL, ROW = 1.5, 1.15

#: The architectures :func:`draw_architecture` knows, with an example application of each.
ARCHITECTURES: dict[str, str] = {
    "one-to-one": "no sequence: image classification",
    "one-to-many": "e.g. image captioning, music generation",
    "many-to-one": "e.g. sentiment analysis, spam detection",
    "many-to-many": "same length: e.g. tagging every word",
    "encoder-decoder": "different lengths: e.g. translation",
}


# ---------------------------------------------------------------------------
# Building blocks: argument checks, the canvas, a box, an arrow
# ---------------------------------------------------------------------------


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {_describe(value)}")


def _check_tokens(tokens: Sequence[str] | None, T: int) -> list[str] | None:
    if tokens is None:
        return None
    if isinstance(tokens, str) or not isinstance(tokens, Sequence) or not all(isinstance(t, str) for t in tokens):
        raise TypeError(f"tokens must be a list of T={T} str; got {_describe(tokens)}")
    if len(tokens) != T:
        raise ValueError(f"tokens must hold one word per step, T={T}; got {len(tokens)}")
    return list(tokens)


def _canvas(xlim: tuple[float, float], ylim: tuple[float, float], scale: float = 1.0) -> tuple[Figure, Axes]:
    """A figure whose single, axis-less Axes maps one data unit to ``scale`` inches."""
    width, height = (xlim[1] - xlim[0]) * scale, (ylim[1] - ylim[0]) * scale
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=xlim, ylim=ylim, aspect="equal")
    ax.set_axis_off()
    return fig, ax


def _box(ax: Axes, x: float, y: float, text: str, kind: str, gid: str, dashed: bool = False) -> FancyBboxPatch:
    """A rounded box centred at (x, y) holding ``text`` (mathtext)."""
    patch = FancyBboxPatch(
        (x - BOX_W / 2, y - BOX_H / 2),
        BOX_W,
        BOX_H,
        boxstyle="round,pad=0,rounding_size=0.12",
        lw=1.6,
        ls="--" if dashed else "-",
        zorder=3,
        **BOX_STYLES[kind],  # type: ignore[arg-type]
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=13, zorder=4, gid=f"text:{gid}")
    return patch


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    colour: str,
    gid: str,
    label: str | None = None,
    label_offset: tuple[float, float] = (0.0, 0.0),
    connection: str = "arc3",
    dashed: bool = False,
) -> FancyArrowPatch:
    """An arrow from ``start`` to ``end`` with an optional mathtext label beside its middle."""
    arrow = FancyArrowPatch(
        start,
        end,
        arrowstyle="-|>,head_length=6,head_width=3.5",
        connectionstyle=connection,
        color=colour,
        lw=1.8,
        ls="--" if dashed else "-",
        shrinkA=0,
        shrinkB=0,
        zorder=2,
    )
    arrow.set_gid(gid)
    ax.add_patch(arrow)
    if label:
        mx, my = (start[0] + end[0]) / 2 + label_offset[0], (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha="center", va="center", fontsize=10, color=colour, zorder=4, gid=f"label:{gid}")
    return arrow


def _up(ax: Axes, x: float, y_from: float, y_to: float, weight: str, gid: str, label: bool) -> None:
    """A vertical arrow from the box at height ``y_from`` to the box at ``y_to``."""
    _arrow(
        ax,
        (x, y_from + BOX_H / 2),
        (x, y_to - BOX_H / 2),
        ARROW_COLOURS[weight],
        gid,
        WEIGHT_LABELS[weight] if label else None,
        label_offset=(0.3, 0.0),
    )


def _right(ax: Axes, x_from: float, x_to: float, y: float, colour: str, gid: str, label: str | None) -> None:
    """A horizontal arrow from the box at ``x_from`` to the box at ``x_to``."""
    _arrow(ax, (x_from + BOX_W / 2, y), (x_to - BOX_W / 2, y), colour, gid, label, label_offset=(0.0, 0.17))


# ---------------------------------------------------------------------------
# The loop, rolled and unrolled (chapter 2)
# ---------------------------------------------------------------------------


def _feedback(ax: Axes, x: float, t: int) -> None:
    """The dashed arrow that feeds output t - 1 back in as the input of step t (generation)."""
    _arrow(
        ax,
        (x - COL + BOX_W / 2, 2 * ROW - 0.1),
        (x - 0.12, ROW + BOX_H / 2),
        ARROW_COLOURS["feedback"],
        f"feedback:{t - 1}->{t}",
        connection="arc3,rad=-0.25",
        dashed=True,
    )


def _feedback_to_input(ax: Axes, x: float, t: int, y0: float = 0.0, prefix: str = "") -> None:
    """The dashed arrow from output t - 1 down into the input box of step t, at column ``x``,
    in a diagram whose input row sits at height ``y0`` (free-running generation and decoding)."""
    _arrow(
        ax,
        (x - COL + BOX_W / 2, y0 + 2 * ROW - 0.1),
        (x - BOX_W / 2, y0 + 0.1),
        ARROW_COLOURS["feedback"],
        f"{prefix}feedback:{t - 1}->{t}",
        connection="arc3,rad=0.15",
        dashed=True,
    )


def _draw_rolled(ax: Axes, x0: float, show_weights: bool) -> None:
    _box(ax, x0, 0, r"$x_t$", "input", "x_t")
    _box(ax, x0, ROW, r"$h_t$", "hidden", "h_t")
    _box(ax, x0, 2 * ROW, r"$\hat{y}$", "output", "y_hat")
    _up(ax, x0, 0, ROW, "W_xh", "W_xh", show_weights)
    _up(ax, x0, ROW, 2 * ROW, "W_hy", "W_hy", show_weights)
    # The loop leaves the right of h_t and comes back into it: h_{t-1} feeds h_t.
    _arrow(
        ax,
        (x0 + BOX_W / 2, ROW + 0.12),
        (x0 + BOX_W / 2, ROW - 0.12),
        ARROW_COLOURS["W_hh"],
        "W_hh:loop",
        connection="bar,fraction=-1.9",
    )
    if show_weights:
        ax.text(
            x0 + BOX_W / 2 + 0.6,
            ROW,
            WEIGHT_LABELS["W_hh"],
            ha="left",
            va="center",
            fontsize=10,
            color=ARROW_COLOURS["W_hh"],
            gid="label:W_hh:loop",
        )


def draw_rolled_rnn(show_weights: bool = True) -> Figure:
    """The recurrent network as a loop: x_t enters h_t, h_t feeds itself and y_hat.

    Parameters
    ----------
    show_weights : bool
        label every arrow with its parameter matrix

    Returns
    -------
    fig : Figure
        boxes have gids "x_t", "h_t", "y_hat", arrows "W_xh", "W_hh:loop", "W_hy"
    """
    _check_bool("show_weights", show_weights)
    fig, ax = _canvas((-0.9, 2.0), (-0.45, 2 * ROW + 0.45))
    _draw_rolled(ax, 0.0, show_weights)
    return fig


def _draw_chain(
    ax: Axes,
    x0: float,
    T: int,
    outputs: str,
    show_weights: bool,
    show_h0: bool,
    tokens: Sequence[str] | None,
) -> float:
    """Draw h_0 (optionally) and T unrolled steps from x = x0; return the x of the last step."""
    xs = [x0 + COL * t for t in range(1, T + 1)]
    if show_h0:
        _box(ax, x0, ROW, r"$h_0$", "initial", "h_0", dashed=True)
    for t, x in enumerate(xs, start=1):
        _box(ax, x, 0, rf"$x_{{{t}}}$", "input", f"x_{t}")
        _box(ax, x, ROW, rf"$h_{{{t}}}$", "hidden", f"h_{t}")
        _up(ax, x, 0, ROW, "W_xh", f"W_xh:{t}", show_weights)
        if t > 1 or show_h0:
            label = WEIGHT_LABELS["W_hh"] if show_weights else None
            _right(ax, x - COL, x, ROW, ARROW_COLOURS["W_hh"], f"W_hh:{t - 1}->{t}", label)
        if outputs == "all" or (outputs == "last" and t == T):
            text = r"$\hat{y}$" if outputs == "last" else rf"$\hat{{y}}_{{{t}}}$"
            _box(ax, x, 2 * ROW, text, "output", f"y_{t}")
            _up(ax, x, ROW, 2 * ROW, "W_hy", f"W_hy:{t}", show_weights)
        if tokens is not None:
            ax.text(x, -BOX_H / 2 - 0.18, f"\u201c{tokens[t - 1]}\u201d", ha="center", va="top", fontsize=11)
    return xs[-1]


def draw_unrolled_rnn(
    T: int = 3,
    outputs: str = "last",
    show_weights: bool = True,
    show_h0: bool = True,
    tokens: Sequence[str] | None = None,
) -> Figure:
    """The same network unrolled over T steps: one column per time step, one set of weights.

    Parameters
    ----------
    T : int
        number of time steps drawn, 1 to 12
    outputs : {"last", "all", "none"}
        "last" for many-to-one (y_hat from h_T only), "all" for an output at every step
    show_weights : bool
        label every arrow with its parameter matrix
    show_h0 : bool
        draw the initial state h_0 (dashed) and its arrow into h_1
    tokens : sequence | None
        optional T words written under the inputs, e.g. ["not", "bad", "!"]

    Returns
    -------
    fig : Figure
        boxes have gids "h_0", "x_t", "h_t", "y_t" (t = 1..T), arrows
        "W_xh:t", "W_hh:(t-1)->t", "W_hy:t"
    """
    T = positive_int("T", T)
    if T > 12:
        raise ValueError(f"T must be at most 12 so the diagram stays readable; got {T}")
    if outputs not in ("last", "all", "none"):
        raise ValueError(f"outputs must be 'last', 'all' or 'none'; got {outputs!r}")
    _check_bool("show_weights", show_weights)
    _check_bool("show_h0", show_h0)
    tokens = _check_tokens(tokens, T)
    bottom = -0.45 - (0.35 if tokens is not None else 0)
    top = 2 * ROW + 0.45 if outputs != "none" else ROW + 0.45
    fig, ax = _canvas((-0.6 if show_h0 else COL - 0.6, COL * T + 0.7), (bottom, top))
    _draw_chain(ax, 0.0, T, outputs, show_weights, show_h0, tokens)
    return fig


def draw_rolled_and_unrolled(T: int = 3, show_weights: bool = True) -> Figure:
    """The loop on the left, "=", and the same network unrolled over T steps on the right.

    Parameters
    ----------
    T : int
        number of unrolled steps, 1 to 8
    show_weights : bool
        label every arrow with its parameter matrix

    Returns
    -------
    fig : Figure
        with the gids of :func:`draw_rolled_rnn` and :func:`draw_unrolled_rnn`
    """
    T = positive_int("T", T)
    if T > 8:
        raise ValueError(f"T must be at most 8 so the diagram stays readable; got {T}")
    _check_bool("show_weights", show_weights)
    start = 2.9  # where h_0 of the unrolled chain sits
    fig, ax = _canvas((-0.9, start + COL * T + 0.7), (-0.45, 2 * ROW + 0.45))
    _draw_rolled(ax, 0.0, show_weights)
    ax.text(1.95, ROW, "=", ha="center", va="center", fontsize=26)
    _draw_chain(ax, start, T, "last", show_weights, True, None)
    return fig


# ---------------------------------------------------------------------------
# The architectures (chapter 3)
# ---------------------------------------------------------------------------


def _draw_conditioned_generator(ax: Axes, x0: float, steps: int, condition: str) -> None:
    """One-to-many as chapter 3 trains it: phi sets h_0; every step reads the previous output (and phi).

    The element ids keep the letter v ("v", "W_vh") that tests and older figures use; the labels show phi.
    """
    _box(ax, x0 - COL, 0, r"$\phi$", "input", "v")
    _box(ax, x0 - COL, ROW, r"$h_0$", "initial", "h_0", dashed=True)
    v_to_h0 = ((x0 - COL, BOX_H / 2), (x0 - COL, ROW - BOX_H / 2))
    _arrow(ax, *v_to_h0, ARROW_COLOURS["W_xh"], "W_vh", r"$W_{\phi h}$", label_offset=(0.3, 0.0))
    with_v = ",\\ \\phi" if condition == "every step" else ""
    for t in range(1, steps + 1):
        x = x0 + COL * (t - 1)
        _box(ax, x, 0, rf"$x_{{{t}}}$", "input", f"x_{t}")
        _box(ax, x, ROW, rf"$h_{{{t}}}$", "hidden", f"h_{t}")
        _box(ax, x, 2 * ROW, rf"$\hat{{y}}_{{{t}}}$", "output", f"y_{t}")
        _up(ax, x, 0, ROW, "W_xh", f"W_xh:{t}", False)
        _up(ax, x, ROW, 2 * ROW, "W_hy", f"W_hy:{t}", False)
        _right(ax, x - COL, x, ROW, ARROW_COLOURS["W_hh"], f"W_hh:{t - 1}->{t}", None)
        fed = "0" if t == 1 else rf"e(y_{{{t - 1}}})"
        ax.text(x, -BOX_H / 2 - 0.12, rf"$[{fed}{with_v}]$", ha="center", va="top", fontsize=10, gid=f"content:x_{t}")
        if t > 1:  # the output of step t - 1 becomes the input of step t
            _feedback_to_input(ax, x, t)


def _draw_architecture(ax: Axes, kind: str, x0: float, steps: int, out_steps: int) -> None:
    """Draw one architecture with its first column at x = x0, without weight labels."""
    col = lambda i: x0 + COL * i  # noqa: E731
    if kind == "one-to-one":
        _box(ax, x0, 0, r"$x$", "input", "x_1")
        _box(ax, x0, ROW, r"$h$", "hidden", "h_1")
        _box(ax, x0, 2 * ROW, r"$\hat{y}$", "output", "y_1")
        _up(ax, x0, 0, ROW, "W_xh", "W_xh:1", False)
        _up(ax, x0, ROW, 2 * ROW, "W_hy", "W_hy:1", False)
        return
    if kind == "many-to-one":
        _draw_chain(ax, x0 - COL, steps, "last", False, False, None)
        return
    if kind == "many-to-many":
        _draw_chain(ax, x0 - COL, steps, "all", False, False, None)
        return
    if kind == "one-to-many":
        for t in range(1, steps + 1):
            x = col(t - 1)
            _box(ax, x, ROW, rf"$h_{{{t}}}$", "hidden", f"h_{t}")
            _box(ax, x, 2 * ROW, rf"$\hat{{y}}_{{{t}}}$", "output", f"y_{t}")
            _up(ax, x, ROW, 2 * ROW, "W_hy", f"W_hy:{t}", False)
            if t == 1:
                _box(ax, x, 0, r"$x$", "input", "x_1")
                _up(ax, x, 0, ROW, "W_xh", "W_xh:1", False)
            else:
                _right(ax, x - COL, x, ROW, ARROW_COLOURS["W_hh"], f"W_hh:{t - 1}->{t}", None)
                # Generation: each output is fed back as the next step's input.
                _feedback(ax, x, t)
        return
    # encoder-decoder: an encoder reads `steps` inputs; a decoder with its own weights
    # starts from the encoder's last state and writes `out_steps` outputs.
    _draw_chain(ax, x0 - COL, steps, "none", False, False, None)
    for j in range(1, out_steps + 1):
        x = col(steps - 1 + j)
        _box(ax, x, ROW, rf"$s_{{{j}}}$", "decoder", f"s_{j}")
        _box(ax, x, 2 * ROW, rf"$\hat{{y}}_{{{j}}}$", "output", f"y_{j}")
        _up(ax, x, ROW, 2 * ROW, "W_hy", f"W_hy:{j}", False)
        if j == 1:
            _right(ax, x - COL, x, ROW, ARROW_COLOURS["context"], "context", "context")
        else:
            _right(ax, x - COL, x, ROW, ARROW_COLOURS["context"], f"dec:{j - 1}->{j}", None)
            _feedback(ax, x, j)


def _draw_decoder_with_inputs(ax: Axes, steps: int, out_steps: int) -> None:
    """The decoder as chapter 3's equations write it: s_0 = h_S, inputs <bos>, e(y_1), ...

    The encoder occupies the first ``steps`` columns; s_0 takes the next, then one column per decoder step.
    """
    x_s0 = COL * steps
    _box(ax, x_s0, ROW, r"$s_0$", "initial", "s_0", dashed=True)
    _right(ax, x_s0 - COL, x_s0, ROW, ARROW_COLOURS["context"], "context", "context")
    for t in range(1, out_steps + 1):
        x = x_s0 + COL * t
        fed = r"\langle\mathrm{bos}\rangle" if t == 1 else rf"y_{{{t - 1}}}"
        _box(ax, x, 0, rf"$e({fed})$", "input", f"in_{t}")
        _box(ax, x, ROW, rf"$s_{{{t}}}$", "decoder", f"s_{t}")
        _box(ax, x, 2 * ROW, rf"$\hat{{y}}_{{{t}}}$", "output", f"y_{t}")
        _up(ax, x, 0, ROW, "W_xh", f"dec_in:{t}", False)
        _up(ax, x, ROW, 2 * ROW, "W_hy", f"W_hy:{t}", False)
        _right(ax, x - COL, x, ROW, ARROW_COLOURS["context"], f"dec:{t - 1}->{t}", None)
        if t > 1:  # the output of step t - 1 becomes the input of step t
            _feedback_to_input(ax, x, t)


def _architecture_width(kind: str, steps: int, out_steps: int) -> int:
    """Number of columns an architecture occupies."""
    return {"one-to-one": 1, "encoder-decoder": steps + out_steps}.get(kind, steps)


def draw_architecture(
    kind: str,
    steps: int = 3,
    out_steps: int = 4,
    subtitle: bool = True,
    condition: str | None = None,
    decoder_inputs: bool = False,
) -> Figure:
    """One of the shapes of sequence problem, in the style of :func:`draw_unrolled_rnn`.

    Parameters
    ----------
    kind : {"one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder"}
        "one-to-one" is the non-recurrent contrast; "many-to-many" is aligned (one output per
        input); "encoder-decoder" is many-to-many with different lengths
    steps : int
        number of time steps (of the encoder, for "encoder-decoder"), 1 to 8;
        ignored for "one-to-one"
    out_steps : int
        number of decoder steps for "encoder-decoder", 1 to 8
    subtitle : bool
        write the kind and an example application above the diagram
    condition : {"initial", "every step"} | None
        for "one-to-many" only. None draws the textbook form (one input x at the first
        step, each output fed back into the next state). "initial" draws the generator of
        chapter 3: a condition phi (labelled $\\phi$) sets the initial state h_0 through
        W_phi_h, the first input is 0 and input t is the previous output's embedding
        e(y_(t-1)). "every step" adds phi to every input, as
        ``OneToManyGenerator(..., feed_condition=True)`` does.
    decoder_inputs : bool
        for "encoder-decoder" only. False draws the context arrow from the encoder's last
        state straight to s_1, with each output fed back into the next decoder state. True
        draws the decoder as chapter 3's equations write it: the context becomes the initial
        state s_0 = h_S (a dashed box of its own, one more column), and every decoder step
        has an input box, e(<bos>) at the first step and the embedding e(y_(t-1)) of the
        previous output after it, with dashed arrows carrying each output into the next input.

    Returns
    -------
    fig : Figure
        Boxes: "x_t", "h_t", "y_t"; the decoder's states "s_j" (purple, with
        weights of their own). Arrows: "W_xh:t", "W_hh:(t-1)->t", "W_hy:t", dashed
        "feedback:(t-1)->t" where an output is fed back as the next input, and "context"
        where the encoder hands its last state to the decoder. With a ``condition``: boxes
        "v" (the condition phi) and "h_0", the arrow "W_vh", and each input's content
        written below it. With ``decoder_inputs``: boxes "s_0" and "in_t" (the decoder's
        input at step t), arrows "dec_in:t" (input to state) and "dec:(t-1)->t" from t = 1,
        "context" from h_S to s_0, and "feedback:(t-1)->t" from output to input.
    """
    if kind not in ARCHITECTURES:
        raise ValueError(f"kind must be one of {list(ARCHITECTURES)}; got {kind!r}")
    if condition not in (None, "initial", "every step"):
        raise ValueError(f"condition must be None, 'initial' or 'every step'; got {condition!r}")
    if condition is not None and kind != "one-to-many":
        raise ValueError(f"condition is for kind='one-to-many' only; got kind={kind!r}")
    _check_bool("decoder_inputs", decoder_inputs)
    if decoder_inputs and kind != "encoder-decoder":
        raise ValueError(f"decoder_inputs is for kind='encoder-decoder' only; got kind={kind!r}")
    steps = positive_int("steps", steps)
    out_steps = positive_int("out_steps", out_steps)
    if steps > 8 or out_steps > 8:
        raise ValueError(f"steps and out_steps must be at most 8 so the diagram fits; got {steps} and {out_steps}")
    _check_bool("subtitle", subtitle)
    width = _architecture_width(kind, steps, out_steps) + (1 if decoder_inputs else 0)  # s_0's column
    top = 2 * ROW + 0.45 + (0.55 if subtitle else 0)
    if condition is not None:  # one more column, for v and h_0, and room for the inputs' contents
        fig, ax = _canvas((-COL - 0.75, COL * (width - 1) + 0.75), (-0.85, top))
        _draw_conditioned_generator(ax, 0.0, steps, condition)
    else:
        fig, ax = _canvas((-0.75, COL * (width - 1) + 0.75), (-0.45, top))
    if kind == "one-to-one":  # a single column is too narrow for the subtitle
        ax.set_xlim(-1.4, 1.4)
        fig.set_size_inches(2.8, fig.get_size_inches()[1])
    if decoder_inputs:
        _draw_chain(ax, -COL, steps, "none", False, False, None)  # the encoder
        _draw_decoder_with_inputs(ax, steps, out_steps)
    elif condition is None:
        _draw_architecture(ax, kind, 0.0, steps, out_steps)
    if subtitle:
        ax.text(
            float(np.mean(ax.get_xlim())),
            top - 0.05,
            f"{kind}\n{ARCHITECTURES[kind]}",
            ha="center",
            va="top",
            fontsize=10,
            linespacing=1.3,
            gid="subtitle",
        )
    return fig


# ---------------------------------------------------------------------------
# The dependency graph of backpropagation through time (chapter 4)
# ---------------------------------------------------------------------------

#: The parameters of the many-to-one model whose influence the dependency graph shows.
GRAPH_PARAMETERS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")

#: Arrow colours of the graph's extra arrows: the two biases, and the fixed functions
#: (tanh, sigmoid, the loss), which have no parameter and are drawn in grey.
GRAPH_ARROW_COLOURS: dict[str, str] = {
    "b_h": OKABE_ITO["reddish_purple"],
    "b_y": "#00805E",
    "function": "#555555",
}

#: Box styles the graph adds: pre-activations (a_t, z) as a paler tint of the hidden
#: state's colour, and the loss in grey.
BOX_STYLES.setdefault("pre-activation", {"facecolor": _tint(OKABE_ITO["orange"], 0.85), "edgecolor": "#9A6A00"})
BOX_STYLES.setdefault("loss", {"facecolor": "#E4E4E4", "edgecolor": "#333333"})

#: Opacity of everything a highlighted parameter does not reach.
FADED_ALPHA = 0.18


def _graph_edges(T: int) -> list[tuple[str, str, str]]:
    """Every arrow of the many-to-one graph as (gid, tail, head); a tail may be a parameter."""
    edges: list[tuple[str, str, str]] = []
    for t in range(1, T + 1):
        edges += [
            (f"W_xh:{t}", f"x_{t}", f"a_{t}"),
            (f"W_hh:{t - 1}->{t}", f"h_{t - 1}", f"a_{t}"),
            (f"b_h:{t}", "b_h", f"a_{t}"),
            (f"tanh:{t}", f"a_{t}", f"h_{t}"),
        ]
    edges += [
        ("W_hy", f"h_{T}", "z"),
        ("b_y", "b_y", "z"),
        ("sigmoid", "z", "y_hat"),
        ("loss", "y_hat", "L"),
        ("target", "y", "L"),
    ]
    return edges


def _check_graph_T(T: object) -> int:
    T = positive_int("T", T)
    if T > 6:
        raise ValueError(f"T must be at most 6 so the dependency graph stays readable; got {T}")
    return T


def _check_parameter(parameter: object) -> str:
    if parameter not in GRAPH_PARAMETERS:
        raise ValueError(f"parameter must be one of {list(GRAPH_PARAMETERS)}; got {parameter!r}")
    return str(parameter)


def influenced_by(parameter: str, T: int = 3) -> list[str]:
    """Every quantity of the T-step many-to-one model that ``parameter`` influences.

    These are the quantities the loss can be reached through, so the chain rule for
    dL/d``parameter`` has one term per arrow that carries the parameter: W_xh, W_hh and
    b_h enter every pre-activation a_1..a_T (and so every later state), W_hy and b_y only
    the logit z.

    Parameters
    ----------
    parameter : "W_xh", "W_hh", "b_h", "W_hy" or "b_y"
    T : int
        number of time steps, 1 to 6

    Returns
    -------
    names : list
        str in the order they are computed, e.g. ["a_1", "h_1", "a_2", ...,
        "z", "y_hat", "L"]
    """
    parameter = _check_parameter(parameter)
    T = _check_graph_T(T)
    edges = _graph_edges(T)
    reached = {head for gid, _, head in edges if gid.split(":")[0] == parameter}
    changed = True
    while changed:  # close under "is computed from"
        new = {head for _, tail, head in edges if tail in reached} - reached
        reached |= new
        changed = bool(new)
    order = [name for t in range(1, T + 1) for name in (f"a_{t}", f"h_{t}")] + ["z", "y_hat", "L"]
    return [name for name in order if name in reached]


def _path_items(parameter: str, T: int, step: int) -> tuple[set[str], set[str]]:
    """Boxes and arrows on the single chain-rule path from ``parameter`` at ``step`` to L."""
    if parameter in ("W_hy", "b_y"):
        start = {"W_hy": "W_hy", "b_y": "b_y"}[parameter]
        return {"z", "y_hat", "L"} | ({f"h_{T}"} if parameter == "W_hy" else set()), {start, "sigmoid", "loss"}
    first = {"W_xh": f"W_xh:{step}", "W_hh": f"W_hh:{step - 1}->{step}", "b_h": f"b_h:{step}"}[parameter]
    boxes = {f"a_{t}" for t in range(step, T + 1)} | {f"h_{t}" for t in range(step, T + 1)} | {"z", "y_hat", "L"}
    arrows = {first, "W_hy", "sigmoid", "loss"} | {f"tanh:{t}" for t in range(step, T + 1)}
    arrows |= {f"W_hh:{t - 1}->{t}" for t in range(step + 1, T + 1)}
    return boxes, arrows


def _draw_dependency(ax: Axes, T: int, parameter: str | None, step: int | None, show_key: bool = True) -> None:
    """Draw the T-step many-to-one graph on ``ax``, optionally highlighting a parameter or one path."""
    col = lambda t: COL * t  # noqa: E731
    fn = GRAPH_ARROW_COLOURS["function"]
    if parameter is None:
        lit_boxes: set[str] | None = None
        lit_arrows: set[str] | None = None
    elif step is None:
        lit_boxes = set(influenced_by(parameter, T))
        lit_arrows = {gid for gid, _, _ in _graph_edges(T) if gid.split(":")[0] == parameter}
        lit_arrows |= {gid for gid, tail, _ in _graph_edges(T) if tail in lit_boxes}
    else:
        lit_boxes, lit_arrows = _path_items(parameter, T, step)
        # the value the parameter multiplies at that step is the path's last factor
        lit_boxes |= {tail for gid, tail, _ in _graph_edges(T) if gid in lit_arrows and gid.split(":")[0] == parameter}

    def box(x: float, y: float, text: str, kind: str, gid: str, dashed: bool = False) -> None:
        patch = _box(ax, x, y, text, kind, gid, dashed)
        if lit_boxes is not None and gid not in lit_boxes:
            patch.set_alpha(FADED_ALPHA)
            ax.texts[-1].set_alpha(FADED_ALPHA)

    def arrow(start: tuple[float, float], end: tuple[float, float], colour: str, gid: str, **kw: Any) -> None:
        lit = lit_arrows is None or gid in lit_arrows
        patch = _arrow(ax, start, end, colour, gid, **kw)
        if lit_arrows is not None and lit:
            patch.set_linewidth(3.2)
        if not lit:
            patch.set_alpha(FADED_ALPHA)
            if kw.get("label"):
                ax.texts[-1].set_alpha(FADED_ALPHA)

    def bias(x: float, y: float, name: str, gid: str, start: tuple[float, float], end: tuple[float, float]) -> None:
        lit = lit_arrows is None or gid in lit_arrows
        ax.text(
            x,
            y,
            rf"$b_{{{name[-1]}}}$",
            ha="center",
            va="center",
            fontsize=11,
            color=GRAPH_ARROW_COLOURS[name],
            alpha=1.0 if lit else FADED_ALPHA,
            gid=f"text:{gid}",
        )
        arrow(start, end, GRAPH_ARROW_COLOURS[name], gid, dashed=True)  # biases: dashed

    box(col(0), 2 * ROW, r"$h_0$", "initial", "h_0", dashed=True)
    for t in range(1, T + 1):
        x = col(t)
        box(x, 0, rf"$x_{{{t}}}$", "input", f"x_{t}")
        box(x, ROW, rf"$a_{{{t}}}$", "pre-activation", f"a_{t}")
        box(x, 2 * ROW, rf"$h_{{{t}}}$", "hidden", f"h_{t}")
        arrow((x, BOX_H / 2), (x, ROW - BOX_H / 2), ARROW_COLOURS["W_xh"], f"W_xh:{t}")
        arrow(
            (col(t - 1) + BOX_W / 2, 2 * ROW - BOX_H / 4),
            (x - BOX_W / 2, ROW + BOX_H / 4),
            ARROW_COLOURS["W_hh"],
            f"W_hh:{t - 1}->{t}",
        )
        arrow((x, ROW + BOX_H / 2), (x, 2 * ROW - BOX_H / 2), fn, f"tanh:{t}")
        bias(x + BOX_W / 2 + 0.42, ROW - 0.02, "b_h", f"b_h:{t}", (x + BOX_W / 2 + 0.3, ROW), (x + BOX_W / 2, ROW))
    # the output: z = h_T W_hy + b_y, y_hat = sigmoid(z), L(y_hat, y)
    xz, xy, xl = col(T + 1), col(T + 2), col(T + 3)
    box(xz, 2 * ROW, r"$z$", "pre-activation", "z")
    box(xy, 2 * ROW, r"$\hat{y}$", "output", "y_hat")
    box(xl, 2 * ROW, r"$L$", "loss", "L")
    box(xl, ROW, r"$y$", "initial", "y")
    arrow((col(T) + BOX_W / 2, 2 * ROW), (xz - BOX_W / 2, 2 * ROW), ARROW_COLOURS["W_hy"], "W_hy")
    bias(xz, ROW + 0.05, "b_y", "b_y", (xz, ROW + 0.22), (xz, 2 * ROW - BOX_H / 2))
    arrow((xz + BOX_W / 2, 2 * ROW), (xy - BOX_W / 2, 2 * ROW), fn, "sigmoid")
    arrow((xy + BOX_W / 2, 2 * ROW), (xl - BOX_W / 2, 2 * ROW), fn, "loss")
    arrow((xl, ROW + BOX_H / 2), (xl, 2 * ROW - BOX_H / 2), fn, "target")
    # a key to the arrow colours, below the output chain
    key = [
        (ARROW_COLOURS["W_xh"], r"$W_{xh}$"),
        (ARROW_COLOURS["W_hh"], r"$W_{hh}$"),
        (GRAPH_ARROW_COLOURS["b_h"], r"$b_h$"),
        (ARROW_COLOURS["W_hy"], r"$W_{hy}$"),
        (GRAPH_ARROW_COLOURS["b_y"], r"$b_y$"),
        (fn, r"$\tanh$, $\sigma$, loss"),
    ]
    for i, (colour, label) in enumerate(key if show_key else []):
        y = 0.25 - 0.3 * i
        style = "--" if label.startswith("$b") else "-"
        ax.plot([xz - 0.35, xz + 0.05], [y, y], color=colour, lw=2, ls=style, gid=f"key:{i}")
        ax.text(xz + 0.15, y, label, ha="left", va="center", fontsize=9, color=colour)


def _graph_canvas_limits(T: int, show_key: bool = True) -> tuple[tuple[float, float], tuple[float, float]]:
    return (-0.6, COL * (T + 3) + 0.6), (-1.45 if show_key else -0.4, 2 * ROW + 0.4)


def draw_dependency_graph(T: int = 3, highlight: str | None = None, step: int | None = None) -> Figure:
    """The many-to-one model as a graph of quantities: what is computed from what.

    Bottom to top: inputs x_t, pre-activations a_t = x_t W_xh + h_{t-1} W_hh + b_h, states
    h_t = tanh(a_t); then the logit z = h_T W_hy + b_y, y_hat = sigmoid(z) and the loss L,
    which also reads the target y.  Arrows are coloured by the parameter they carry.

    Parameters
    ----------
    T : int
        number of time steps, 1 to 6
    highlight : str | None
        optional parameter name; its arrows are drawn thick and everything it
        influences (see :func:`influenced_by`) stays in full colour, the rest is faded
    step : int | None
        with ``highlight`` = "W_xh", "W_hh" or "b_h", show only the chain-rule path from
        the parameter's use at this step (1..T) to L; ignored for "W_hy" and "b_y"

    Returns
    -------
    fig : Figure
        with one Axes. Boxes have gids "h_0", "x_t", "a_t", "h_t", "z", "y_hat",
        "L", "y"; arrows "W_xh:t", "W_hh:(t-1)->t", "b_h:t", "tanh:t", "W_hy", "b_y",
        "sigmoid", "loss", "target"
    """
    T = _check_graph_T(T)
    if highlight is not None:
        highlight = _check_parameter(highlight)
    if step is not None:
        if highlight is None:
            raise ValueError("step needs a parameter to follow: pass highlight='W_xh' (or 'W_hh', 'b_h') as well")
        step = positive_int("step", step)
        if step > T:
            raise ValueError(f"step must be a time step from 1 to T={T}; got {step}")
    xlim, ylim = _graph_canvas_limits(T)
    fig, ax = _canvas(xlim, ylim, scale=0.75)
    _draw_dependency(ax, T, highlight, step)
    return fig


def draw_gradient_paths(parameter: str = "W_xh", T: int = 3) -> Figure:
    """One panel per chain-rule path from ``parameter`` to the loss: the terms of dL/dparameter.

    Panel t (from t = T down to 1) lights the path through the parameter's use at step t:
    a_t, h_t, a_{t+1}, ..., h_T, z, y_hat, L.  The gradient is the sum of the T paths.

    Parameters
    ----------
    parameter : {"W_xh", "W_hh", "b_h"}
        one of the parameters used at every step
    T : int
        number of time steps, 1 to 6

    Returns
    -------
    fig : Figure
        with T Axes, the first for the path through step T; each Axes has the gids
        of :func:`draw_dependency_graph` (without its colour key) and a left-aligned title
    """
    parameter = _check_parameter(parameter)
    if parameter in ("W_hy", "b_y"):
        raise ValueError(f"parameter must be used at every step ('W_xh', 'W_hh' or 'b_h'); got {parameter!r}")
    T = _check_graph_T(T)
    xlim, ylim = _graph_canvas_limits(T, show_key=False)  # the key is in draw_dependency_graph
    scale = 0.62
    w, h = (xlim[1] - xlim[0]) * scale, (ylim[1] - ylim[0]) * scale
    title_h = 0.3
    fig = Figure(figsize=(w, T * (h + title_h)), dpi=100)
    symbol = {"W_xh": r"W_{xh}", "W_hh": r"W_{hh}", "b_h": r"b_h"}[parameter]
    for i, step in enumerate(range(T, 0, -1)):
        bottom = 1 - (i + 1) / T
        ax = fig.add_axes((0, bottom, 1, h / (h + title_h) / T))
        ax.set(xlim=xlim, ylim=ylim, aspect="equal")
        ax.set_axis_off()
        _draw_dependency(ax, T, parameter, step, show_key=False)
        ax.set_title(
            rf"path {i + 1} of {T}: through $a_{{{step}}}$, where ${symbol}$ is used at step {step}",
            fontsize=11,
            loc="left",
        )
    return fig


# ---------------------------------------------------------------------------
# The encoder-decoder in training and at inference (chapter 8)
# ---------------------------------------------------------------------------


def _draw_seq2seq_panel(ax: Axes, y0: float, steps: int, out_steps: int, mode: str) -> None:
    """One panel of :func:`draw_seq2seq_decoding`, its input row at height ``y0``."""
    p = f"{mode}:"
    for j in range(1, steps + 1):  # the encoder
        x = COL * (j - 1)
        _box(ax, x, y0, rf"$x_{{{j}}}$", "input", f"{p}x_{j}")
        _box(ax, x, y0 + ROW, rf"$h_{{{j}}}$", "hidden", f"{p}h_{j}")
        _up(ax, x, y0, y0 + ROW, "W_xh", f"{p}enc_in:{j}", False)
        if j > 1:
            _right(ax, x - COL, x, y0 + ROW, ARROW_COLOURS["W_hh"], f"{p}enc:{j - 1}->{j}", None)
    x_s0 = COL * steps
    _box(ax, x_s0, y0 + ROW, r"$s_0$", "initial", f"{p}s_0", dashed=True)
    _right(ax, x_s0 - COL, x_s0, y0 + ROW, ARROW_COLOURS["context"], f"{p}context", "context")
    for t in range(1, out_steps + 1):  # the decoder
        x = x_s0 + COL * t
        if t == 1:
            fed = r"$\langle\mathrm{bos}\rangle$"
        else:
            fed = rf"$y_{{{t - 1}}}$" if mode == "train" else rf"$y^\ast_{{{t - 1}}}$"
        _box(ax, x, y0, fed, "input", f"{p}in_{t}")
        _box(ax, x, y0 + ROW, rf"$s_{{{t}}}$", "decoder", f"{p}s_{t}")
        _box(ax, x, y0 + 2 * ROW, rf"$\hat{{y}}_{{{t}}}$", "output", f"{p}y_{t}")
        _up(ax, x, y0, y0 + ROW, "W_xh", f"{p}dec_in:{t}", False)
        _up(ax, x, y0 + ROW, y0 + 2 * ROW, "W_hy", f"{p}W_hy:{t}", False)
        _right(ax, x - COL, x, y0 + ROW, ARROW_COLOURS["context"], f"{p}dec:{t - 1}->{t}", None)
        if mode == "infer" and t > 1:  # its own choice at step t - 1 is the input of step t
            _feedback_to_input(ax, x, t, y0, p)
    note = {
        "train": "training (teacher forcing): the decoder reads <bos>, then the true previous words",
        "infer": "inference (greedy decoding): the decoder reads <bos>, then its own previous choices",
    }[mode]
    ax.text(-BOX_W / 2, y0 + 2 * ROW + BOX_H / 2 + 0.12, note, ha="left", va="bottom", fontsize=11, gid=f"{p}title")


def draw_seq2seq_decoding(steps: int = 3, out_steps: int = 3) -> Figure:
    """The encoder-decoder of chapter 8 twice: as it is trained and as it is used.

    Both panels show the encoder reading x_1 .. x_S into h_1 .. h_S, the context
    handed over as the decoder's initial state s_0 = h_S, and the decoder states s_t
    with their predictions y_hat_t. The decoder's first input is <bos> in both. The
    upper panel (training, teacher forcing) feeds it the true previous words
    y_1, y_2, ...; the lower one (inference, greedy decoding) feeds back its own
    choices y*_1, y*_2, ... along dashed arrows.

    Parameters
    ----------
    steps : int
        S, the number of source steps, 1 to 6
    out_steps : int
        the number of decoder steps, 1 to 6

    Returns
    -------
    fig : Figure
        one Axes; every gid starts with "train:" (upper panel) or "infer:" (lower).
        Boxes: "x_j", "h_j", "s_0", "in_t" (the decoder's input at step t), "s_t",
        "y_t". Arrows: "enc_in:j", "enc:(j-1)->j", "context" (h_S to s_0),
        "dec_in:t", "dec:(t-1)->t", "W_hy:t" and, in the lower panel only, the dashed
        "feedback:(t-1)->t". Texts: "title" of each panel.
    """
    steps, out_steps = positive_int("steps", steps), positive_int("out_steps", out_steps)
    if steps > 6 or out_steps > 6:
        raise ValueError(f"steps and out_steps must be at most 6 so the diagram fits; got {steps} and {out_steps}")
    panel = 2 * ROW + 1.3  # the height of one panel, its title included
    fig, ax = _canvas((-0.75, COL * (steps + out_steps) + 0.75), (-0.45, 2 * panel - 0.35))
    _draw_seq2seq_panel(ax, panel, steps, out_steps, "train")
    _draw_seq2seq_panel(ax, 0.0, steps, out_steps, "infer")
    return fig


# ---------------------------------------------------------------------------
# The gated cells as data flow (chapter 6)
# ---------------------------------------------------------------------------

#: Fill and edge colour of the gated cells' boxes: a gate, and the LSTM's cell state.
CELL_BOX_STYLES: dict[str, dict[str, object]] = {
    "gate": {"facecolor": _tint(OKABE_ITO["reddish_purple"], 0.65), "edgecolor": "#8E4B73"},
    "cell": {"facecolor": _tint(OKABE_ITO["yellow"], 0.45), "edgecolor": "#8A7F00"},
}

#: Colour of each kind of flow in the gated cells: the additive path that carries the
#: memory, what a gate sends to a multiply node, and the layer's inputs.
CELL_FLOW_COLOURS: dict[str, str] = {
    "memory": OKABE_ITO["vermillion"],
    "gate": "#A4527F",
    "input": OKABE_ITO["blue"],
    "value": "#555555",
}

_NODE_R = 0.2  # radius of an operation node


def _cell_box(ax: Axes, x: float, y: float, text: str, kind: str, gid: str) -> None:
    """A box of :func:`_box`'s shape in one of :data:`BOX_STYLES` or :data:`CELL_BOX_STYLES`."""
    style = CELL_BOX_STYLES.get(kind) or BOX_STYLES[kind]
    patch = FancyBboxPatch(
        (x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H, boxstyle="round,pad=0,rounding_size=0.12", lw=1.6, zorder=3,
        **style,  # type: ignore[arg-type]
    )  # fmt: skip
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=13, zorder=4, gid=f"text:{gid}")


def _node(ax: Axes, x: float, y: float, op: str, gid: str) -> None:
    """A circle for an elementwise operation: ``op`` is "mul", "add", "tanh" or "one_minus"."""
    symbol = {"mul": r"$\times$", "add": r"$+$", "tanh": r"$\tanh$", "one_minus": r"$1-$"}[op]
    circle = Circle((x, y), _NODE_R * (1.45 if op in ("tanh", "one_minus") else 1), fc="white", ec="#333333", lw=1.4,
                    zorder=3)  # fmt: skip
    circle.set_gid(gid)
    ax.add_patch(circle)
    size = 9 if op in ("tanh", "one_minus") else 13
    ax.text(x, y, symbol, ha="center", va="center", fontsize=size, zorder=4, gid=f"text:{gid}")


def _flow(
    ax: Axes, points: Sequence[tuple[float, float]], kind: str, gid: str, label: str | None = None,
    label_at: tuple[float, float] | None = None,
) -> None:  # fmt: skip
    """A polyline through ``points`` ending in an arrow head; a drawn corner for every middle point."""
    colour = CELL_FLOW_COLOURS[kind]
    width = 2.6 if kind == "memory" else 1.6
    if len(points) > 2:
        xs, ys = zip(*points[:-1], strict=True)
        ax.plot(xs, ys, color=colour, lw=width, zorder=2, solid_capstyle="butt", gid=f"line:{gid}")
    arrow = FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>,head_length=6,head_width=3.5", color=colour,
                            lw=width, shrinkA=0, shrinkB=0, zorder=2)  # fmt: skip
    arrow.set_gid(gid)
    ax.add_patch(arrow)
    if label:
        assert label_at is not None, "a label needs label_at"
        ax.text(*label_at, label, ha="center", va="center", fontsize=10, color=colour, zorder=4, gid=f"label:{gid}")


def _inputs_bus(
    ax: Axes, xs: Sequence[float], y_bus: float, y_gates: float, acts: Sequence[str], x_join: float = 0.9
) -> None:
    """h_{t-1} and x_t joined on one line (x_t at ``x_join``), which feeds every box above it (at ``xs``)."""
    _box(ax, -0.2, y_bus, r"$h_{t-1}$", "hidden", "h_prev")
    _box(ax, x_join, y_bus - 0.85, r"$x_t$", "input", "x_t")
    colour = CELL_FLOW_COLOURS["input"]
    ax.plot([-0.2 + BOX_W / 2, xs[-1]], [y_bus, y_bus], color=colour, lw=1.6, zorder=2, gid="line:bus")
    ax.plot([x_join, x_join], [y_bus - 0.85 + BOX_H / 2, y_bus], color=colour, lw=1.6, zorder=2, gid="line:x_t")
    ax.add_patch(Circle((x_join, y_bus), 0.05, color=colour, zorder=3))
    for x, act in zip(xs, acts, strict=True):
        label_at = (x + 0.24, (y_bus + y_gates) / 2 - 0.1)
        _flow(ax, [(x, y_bus), (x, y_gates - BOX_H / 2)], "input", f"in:{x:g}", act, label_at)


def draw_lstm_cell() -> Figure:
    """One LSTM step as data flow: the gates, the multiply and add nodes, and the cell path.

    The cell state runs along the top from c_{t-1} to c_t through one multiply node
    (by the forget gate) and one add node (of i_t times the candidate): the additive
    path, drawn thicker.  Below, h_{t-1} and x_t feed every gate; the output gate
    multiplies tanh(c_t) into h_t.  Symbols as in chapter 6: gates i_t, f_t, o_t and the
    candidate c_tilde_t.

    Returns
    -------
    fig : Figure
        boxes with gids "c_prev", "c_t", "h_prev", "x_t", "h_t", "i_t", "f_t",
        "c_tilde_t", "o_t"; nodes (circles) "mul:f", "mul:i", "add:c", "tanh:c",
        "mul:o"; arrows "memory:..." for the cell path
    """
    fig, ax = _canvas((-0.75, 7.65), (-0.95, 3.7), scale=0.85)
    y_c, y_mid, y_g, y_bus = 3.2, 2.3, 1.4, 0.3
    x_f, x_i, x_ct, x_o, x_tanh, x_out = 1.9, 2.95, 4.0, 5.05, 6.0, 7.0
    x_add = (x_i + x_ct) / 2
    _cell_box(ax, -0.2, y_c, r"$c_{t-1}$", "cell", "c_prev")
    _cell_box(ax, x_out, y_c, r"$c_t$", "cell", "c_t")
    _node(ax, x_f, y_c, "mul", "mul:f")
    _node(ax, x_add, y_c, "add", "add:c")
    _flow(ax, [(-0.2 + BOX_W / 2, y_c), (x_f - _NODE_R, y_c)], "memory", "memory:c_prev->mul")
    _flow(ax, [(x_f + _NODE_R, y_c), (x_add - _NODE_R, y_c)], "memory", "memory:mul->add")
    _flow(ax, [(x_add + _NODE_R, y_c), (x_out - BOX_W / 2, y_c)], "memory", "memory:add->c_t")
    for x, text, gid in ((x_f, r"$f_t$", "f_t"), (x_i, r"$i_t$", "i_t"), (x_ct, r"$\tilde c_t$", "c_tilde_t"),
                         (x_o, r"$o_t$", "o_t")):  # fmt: skip
        _cell_box(ax, x, y_g, text, "gate", gid)
    _inputs_bus(ax, (x_f, x_i, x_ct, x_o), y_bus, y_g, (r"$\sigma$", r"$\sigma$", r"$\tanh$", r"$\sigma$"))
    _flow(ax, [(x_f, y_g + BOX_H / 2), (x_f, y_c - _NODE_R)], "gate", "gate:f")  # keep: f_t times c_{t-1}
    _node(ax, x_add, y_mid, "mul", "mul:i")  # write: i_t times the candidate
    _flow(ax, [(x_i, y_g + BOX_H / 2), (x_i, y_mid), (x_add - _NODE_R, y_mid)], "gate", "gate:i")
    _flow(ax, [(x_ct, y_g + BOX_H / 2), (x_ct, y_mid), (x_add + _NODE_R, y_mid)], "value", "value:c_tilde")
    _flow(ax, [(x_add, y_mid + _NODE_R), (x_add, y_c - _NODE_R)], "value", "value:write")
    r_big = 1.45 * _NODE_R
    _node(ax, x_tanh, y_mid, "tanh", "tanh:c")  # read: o_t times tanh(c_t)
    _flow(ax, [(x_tanh, y_c), (x_tanh, y_mid + r_big)], "value", "value:c_t->tanh")
    _node(ax, x_tanh, y_g, "mul", "mul:o")
    _flow(ax, [(x_tanh, y_mid - r_big), (x_tanh, y_g + _NODE_R)], "value", "value:tanh->mul")
    _flow(ax, [(x_o + BOX_W / 2, y_g), (x_tanh - _NODE_R, y_g)], "gate", "gate:o")
    _box(ax, x_out, y_g, r"$h_t$", "hidden", "h_t")
    _flow(ax, [(x_tanh + _NODE_R, y_g), (x_out - BOX_W / 2, y_g)], "value", "value:mul->h_t")
    ax.text(x_f - 0.45, y_c + 0.32, "cell path", fontsize=10, color=CELL_FLOW_COLOURS["memory"], gid="label:memory")
    return fig


def draw_gru_cell() -> Figure:
    """One GRU step as data flow: the gates, the multiply and add nodes, and the additive path.

    The state runs along the top from h_{t-1} to h_t through one multiply node (by the
    update gate z_t) and one add node (of 1 - z_t times the candidate n_t): the GRU's
    additive path, drawn thicker.  Below, h_{t-1} and x_t feed the reset and update
    gates.  The candidate reads h_{t-1} only through the reset gate, as in chapter 6:
    r_t multiplies the recurrent part n^h_t = h_{t-1} W_hn + b_hn, which is fed from
    h_{t-1} alone; an add node joins that product with the input part
    x_t W_xn + b_n, fed from x_t alone, and the tanh of the sum is n_t.  Where the
    product's line passes the update gate's line it hops over it (the two are not
    joined).

    Returns
    -------
    fig : Figure
        boxes with gids "h_prev_top", "h_t", "h_prev", "x_t", "r_t", "z_t", "n_t",
        "n_h_t"; nodes "mul:z", "add:h", "one_minus:z", "mul:n", "mul:r", "add:n";
        arrows "memory:..." for the additive path, "value:r*n_h" (into "add:n"),
        "input:x_t->n" (x_t's own line into "add:n") and "value:a_n" (the sum into
        n_t, labelled tanh); line "hop:r*n_h" where "value:r*n_h" crosses the update
        gate's line
    """
    fig, ax = _canvas((-0.75, 7.65), (-0.95, 3.7), scale=0.85)
    y_h, y_mid, y_g, y_bus = 3.2, 2.5, 1.4, 0.3
    x_nh, x_join, x_r, x_z, x_n, x_out = 0.95, 1.65, 2.4, 3.6, 5.1, 7.0  # n^h_t reads h_{t-1} only: left of x_t
    x_add = x_n
    _box(ax, -0.2, y_h, r"$h_{t-1}$", "hidden", "h_prev_top")
    _box(ax, x_out, y_h, r"$h_t$", "hidden", "h_t")
    _node(ax, x_z, y_h, "mul", "mul:z")
    _node(ax, x_add, y_h, "add", "add:h")
    _flow(ax, [(-0.2 + BOX_W / 2, y_h), (x_z - _NODE_R, y_h)], "memory", "memory:h_prev->mul")
    _flow(ax, [(x_z + _NODE_R, y_h), (x_add - _NODE_R, y_h)], "memory", "memory:mul->add")
    _flow(ax, [(x_add + _NODE_R, y_h), (x_out - BOX_W / 2, y_h)], "memory", "memory:add->h_t")
    _cell_box(ax, x_r, y_g, r"$r_t$", "gate", "r_t")
    _cell_box(ax, x_z, y_g, r"$z_t$", "gate", "z_t")
    _cell_box(ax, x_nh, y_g, r"$n^h_t$", "initial", "n_h_t")
    _cell_box(ax, x_n, y_g, r"$n_t$", "gate", "n_t")
    _inputs_bus(ax, (x_nh, x_r, x_z), y_bus, y_g, ("", r"$\sigma$", r"$\sigma$"), x_join)  # the bus ends at z_t
    _flow(ax, [(x_z, y_g + BOX_H / 2), (x_z, y_h - _NODE_R)], "gate", "gate:z")  # keep: z_t times h_{t-1}
    r_big = 1.45 * _NODE_R
    x_1m = (x_z + x_n) / 2 - 0.1
    _node(ax, x_1m, y_mid, "one_minus", "one_minus:z")
    _flow(ax, [(x_z, y_mid), (x_1m - r_big, y_mid)], "gate", "gate:z->1-z")
    _node(ax, x_n, y_mid, "mul", "mul:n")  # write: (1 - z_t) times the candidate
    _flow(ax, [(x_1m + r_big, y_mid), (x_n - _NODE_R, y_mid)], "gate", "gate:1-z")
    _flow(ax, [(x_n, y_g + BOX_H / 2), (x_n, y_mid - _NODE_R)], "value", "value:n")
    _flow(ax, [(x_n, y_mid + _NODE_R), (x_n, y_h - _NODE_R)], "value", "value:write")
    # the reset gate scales the candidate's recurrent part; an add node joins it with the input part, fed from x_t
    # alone, and the tanh of the sum is the candidate
    y_r, y_sum, y_x = y_g + 0.58, y_bus + 0.3, y_bus - 0.85
    x_down = x_n - 0.6
    _node(ax, x_r, y_r, "mul", "mul:r")
    _flow(ax, [(x_r, y_g + BOX_H / 2), (x_r, y_r - _NODE_R)], "gate", "gate:r")
    _flow(ax, [(x_nh, y_g + BOX_H / 2), (x_nh, y_r), (x_r - _NODE_R, y_r)], "value", "value:n_h")
    hop = 0.12  # the product's line hops over the update gate's line instead of meeting it
    colour = CELL_FLOW_COLOURS["value"]
    ax.plot([x_r + _NODE_R, x_z - hop], [y_r, y_r], color=colour, lw=1.6, zorder=2, solid_capstyle="butt",
            gid="line:r*n_h:before_hop")  # fmt: skip
    angle = np.linspace(np.pi, 0.0, 25)
    ax.plot(x_z + hop * np.cos(angle), y_r + hop * np.sin(angle), color=colour, lw=1.6, zorder=2, gid="hop:r*n_h")
    _flow(ax, [(x_z + hop, y_r), (x_down, y_r), (x_down, y_sum), (x_n - _NODE_R, y_sum)], "value", "value:r*n_h")
    _node(ax, x_n, y_sum, "add", "add:n")
    colour = CELL_FLOW_COLOURS["input"]
    ax.plot([x_join + BOX_W / 2, x_n], [y_x, y_x], color=colour, lw=1.6, zorder=2, gid="line:x_t->n")
    _flow(ax, [(x_n, y_x), (x_n, y_sum - _NODE_R)], "input", "input:x_t->n")
    ax.text((x_z + x_n) / 2, y_x - 0.22, r"$x_t W_{xn} + b_n$", ha="center", va="center", fontsize=10, color=colour,
            gid="label:input:x_t->n")  # fmt: skip
    label_at = (x_n + 0.3, (y_sum + y_g) / 2 - 0.05)
    _flow(ax, [(x_n, y_sum + _NODE_R), (x_n, y_g - BOX_H / 2)], "value", "value:a_n", r"$\tanh$", label_at)
    ax.text(x_z - 1.1, y_h + 0.32, "additive path", fontsize=10, color=CELL_FLOW_COLOURS["memory"], gid="label:memory")
    return fig
