"""Plotting functions for the chapters' figures.

Contract, once for the module:

- every function takes data and returns a new :class:`matplotlib.figure.Figure`;
  none draws on, shows or keeps a global pyplot figure, so calling them in a loop
  or in tests leaks nothing, and a notebook displays a figure only where it asks to;
- colours come from :data:`PALETTE` (Okabe and Ito's colour-blind-safe set) and
  colour maps from :data:`SEQUENTIAL_CMAP` and :data:`DIVERGING_CMAP`, so every
  figure in the book reads the same with any colour vision;
- the chapters save or display figures as PNG (never SVG, which breaks the PDF).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from numpy.typing import NDArray

from rnnlib._checks import _describe, as_float_array, check_probabilities, positive_int
from rnnlib.data import Vocabulary
from rnnlib.metrics import running_mean

#: Okabe and Ito's palette of eight colours distinguishable with any colour vision.
OKABE_ITO: Mapping[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: The order in which figures use the colours: series 0 is blue, series 1 orange, ...
PALETTE: tuple[str, ...] = tuple(
    OKABE_ITO[c] for c in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black")
)

#: Colour map for values from low to high: readable in grey scale and for colour-blind readers.
SEQUENTIAL_CMAP = "cividis"
#: Colour map for values of either sign around zero (purple positive, orange negative), colour-blind safe.
DIVERGING_CMAP = "PuOr"


def _figure(width: float, height: float, ncols: int = 1, nrows: int = 1, **kw: Any) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    for ax in axes.flat:
        ax.set_prop_cycle(color=PALETTE)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def _vector(name: str, x: object) -> np.ndarray:
    arr = as_float_array(name, x)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must have shape (T,) with T >= 1; got {arr.shape}")
    return arr


# ---------------------------------------------------------------------------
# Curves plus reference lines: every loss curve, learning curve and comparison of runs
# ---------------------------------------------------------------------------
#
# plot_curves draws named curves against a shared x, in one panel or several; plot_training_log
# draws the log of one run of rnnlib.training.train.  Both draw through _draw_curves and
# _reference_lines, so a curve's colour, line style and marker, and a reference line's style,
# follow one convention everywhere.

#: Line styles that (with colour and marker) tell curves apart in grey scale.
_LINESTYLES = ("-", "--", ":", "-.")
#: Markers that (with the line styles) tell curves apart without colour.
_CURVE_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
#: The reference lines' styles, in order: thin black dotted, dash-dotted, dashed.
_REFERENCE_STYLES = (":", "-.", "--")
#: The scales plot_curves offers for its x axis ("symlog": linear from 0 to 1, logarithmic beyond).
_XSCALES = ("linear", "log", "symlog")


def _reference_levels(reference: object, logy: bool = False) -> dict[str, float]:
    """``reference`` (label -> level, or None) checked: finite levels, positive on a log axis."""
    if reference is None:
        return {}
    if not isinstance(reference, Mapping):
        raise TypeError(f"reference must be a dict of label -> level; got {_describe(reference)}")
    levels = {}
    for label, level in reference.items():
        if isinstance(level, Mapping):
            raise TypeError(
                f"reference[{label!r}] must be a level; levels for one panel need panels (a dict of dicts of curves)"
            )
        level = float(level)
        if not np.isfinite(level) or (logy and level <= 0):
            raise ValueError(f"reference[{label!r}] must be a finite number (positive when logy=True); got {level}")
        levels[label] = level
    return levels


def _reference_lines(ax: Any, levels: Mapping[str, float]) -> None:
    """Each level as a thin black horizontal line across ``ax``, labelled, gid "reference"."""
    for j, (label, level) in enumerate(levels.items()):
        ax.axhline(level, color=OKABE_ITO["black"], lw=1, ls=_REFERENCE_STYLES[j % 3], label=label, gid="reference")


def _draw_curves(
    ax: Any,
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    levels: Mapping[str, float],
    styles: Mapping[str, int] | None = None,
    *,
    markers: bool = True,
    ms: float = 5,
    lw: float = 1.6,
) -> None:
    """Curve ``name`` (name -> (x, y), checked by the caller) in colour, line style and marker number
    ``styles[name]`` (default: its position), gid "curve", then the reference lines of ``levels``."""
    for i, (name, (x, y)) in enumerate(curves.items()):
        s = i if styles is None else styles[name]
        ax.plot(
            x,
            y,
            color=PALETTE[s % len(PALETTE)],
            ls=_LINESTYLES[s % len(_LINESTYLES)],
            marker=_CURVE_MARKERS[s % len(_CURVE_MARKERS)] if markers else None,
            ms=ms,
            lw=lw,
            label=name,
            gid="curve",
        )
    _reference_lines(ax, levels)


def _check_ylim(ylim: object) -> tuple[float | None, float | None]:
    """(bottom, top): two numbers or None, bottom < top when both are given; a list is taken too."""
    if not isinstance(ylim, (tuple, list)) or len(ylim) != 2:
        raise TypeError(f"ylim must be a pair (bottom, top) of numbers or None; got {_describe(ylim)}")
    for which, v in zip(("bottom", "top"), ylim, strict=True):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))):
            raise TypeError(f"ylim's {which} must be a number or None; got {_describe(v)}")
    bottom, top = ylim
    if bottom is not None and top is not None and not bottom < top:
        raise ValueError(f"ylim must be (bottom, top) with bottom < top (either may be None); got {tuple(ylim)}")
    return bottom, top


def plot_curves(
    curves: Mapping[str, Any],
    xlabel: str,
    ylabel: str,
    *,
    x: NDArray[np.number] | Sequence[float] | None = None,
    reference: Mapping[str, Any] | None = None,
    logy: bool | Sequence[str] = False,
    xscale: str = "linear",
    markers: bool = True,
    smooth: int = 1,
    ylim: tuple[float | None, float | None] | None = None,
    title: str | None = None,
    legend_outside: bool = False,
) -> Figure:
    """Named curves against a shared x, in one panel or several, with horizontal reference lines.

    The figure of every loss curve, learning curve and comparison of runs in the book: a
    loss per epoch or per update, an error per sequence length, bytes per length, a
    quantity measured at chosen updates.  (The log of one training run, with its gradient
    norms, has its own figure, :func:`plot_training_log`.)

    A curve's colour, line style and marker (markers optional) follow the order in which
    its name first appears, so curves stay distinguishable in grey scale and a run drawn in
    several panels looks the same in each.  Reference levels, such as a trivial baseline,
    are thin black lines, dotted, dash-dotted and dashed in turn.

    Parameters
    ----------
    curves : Mapping[str, ndarray] | Mapping[str, Mapping[str, ndarray]]
        name -> ndarray of shape (K,) of finite values: one panel.  For several panels,
        panel title -> such a dict, one panel per entry, side by side
    xlabel, ylabel : str
        axis labels (with several panels, the y label is written on the first)
    x : ndarray of shape (K,) | None
        the x values every curve shares (every curve must then have K values); None draws
        each curve against 1, 2, ..., its length (epochs, updates), so runs of different
        lengths can share a panel
    reference : Mapping[str, float] | Mapping[str, Mapping[str, float]] | None
        label -> level, drawn in every panel; with panels, also panel title ->
        (label -> level) for the panels named
    logy : bool | sequence of str
        logarithmic y axis (every value and level must then be positive); with panels, a
        list of the titles of the panels to draw so
    xscale : {"linear", "log", "symlog"}
        the x axis; "symlog" is linear from 0 to 1 and logarithmic beyond, so that a value
        at update 0 and the first few updates have room beside the last hundreds
    markers : bool
        mark every point (turn off for long curves)
    smooth : int
        draw the mean of the last ``smooth`` values at every point
        (:func:`rnnlib.metrics.running_mean`; 1: the values themselves); the y label says so
    ylim : tuple | None
        (bottom, top) of every y axis, either may be None; a curve that rises above
        ``top`` is cut off there and its peak written at the top edge (gid
        ``"peak:<name>"``), so that one run that blows up does not squash the others
    title : str | None
        a title above the figure
    legend_outside : bool
        one legend to the right of the panels rather than one inside each

    Returns
    -------
    fig : Figure
        with one Axes per panel, in order (gid: the panel's title); the curves have gid
        "curve" and the reference lines gid "reference"
    """
    if not isinstance(curves, Mapping) or len(curves) == 0:
        raise TypeError(f"curves must be a non-empty dict of name -> array of shape (K,); got {_describe(curves)}")
    nested = [isinstance(v, Mapping) for v in curves.values()]
    if any(nested) and not all(nested):
        raise TypeError(
            "curves must map every name to an array (one panel) or every title to a dict of curves (panels)"
        )
    panels: dict[str | None, Mapping[str, Any]] = {None: curves}
    if all(nested):
        panels = {title: runs for title, runs in curves.items()}
    titles = [t for t in panels if t is not None]
    xs = None if x is None else _vector("x", np.asarray(x, dtype=np.float64))
    if xscale not in _XSCALES:
        raise ValueError(f"xscale must be one of {list(_XSCALES)}; got {xscale!r}")
    smooth = positive_int("smooth", smooth)
    if isinstance(logy, (bool, np.bool_)):
        log_panels = set(panels) if logy else set()
    elif isinstance(logy, str) or not isinstance(logy, Sequence) or not titles or not set(logy) <= set(titles):
        raise ValueError(
            f"logy must be True, False or, with panels, a list of panel titles among {titles}; got {logy!r}"
        )
    else:
        log_panels = set(logy)
    if ylim is not None:
        ylim = _check_ylim(ylim)
    reference = {} if reference is None else reference
    if not isinstance(reference, Mapping):
        raise TypeError(f"reference must be a dict of label -> level; got {_describe(reference)}")
    per_panel = {k: v for k, v in reference.items() if isinstance(v, Mapping)}
    if not set(per_panel) <= set(titles):
        raise ValueError(
            f"reference must be keyed by levels' labels or by panel titles among {titles}; got {list(reference)}"
        )
    shared = {k: v for k, v in reference.items() if k not in per_panel}

    checked: dict[str | None, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    levels: dict[str | None, dict[str, float]] = {}
    styles: dict[str, int] = {}
    for t, runs in panels.items():
        where = "curves" if t is None else f"curves[{t!r}]"
        if not isinstance(runs, Mapping) or not runs:
            raise TypeError(f"{where} must be a non-empty dict of name -> array of shape (K,); got {_describe(runs)}")
        log = t in log_panels
        checked[t] = {}
        for name, values in runs.items():
            y = _vector(f"{where}[{name!r}]", values)
            if xs is not None and y.shape != xs.shape:
                raise ValueError(f"{where}[{name!r}] must have shape (K,) = {xs.shape} like x; got {y.shape}")
            if log and (y <= 0).any():
                raise ValueError(f"{where}[{name!r}] must be positive on a log axis (logy); got {y.min():.3g}")
            steps = np.arange(1.0, y.size + 1) if xs is None else xs
            checked[t][name] = (steps, running_mean(y, smooth) if smooth > 1 else y)
            styles.setdefault(name, len(styles))
        levels[t] = _reference_levels(shared, log) | _reference_levels(per_panel.get(t) if t is not None else None, log)

    single = len(panels) == 1 and None in panels
    legend_width = 2.2 if legend_outside else 0.0
    if single:
        fig, axes = _figure(7 if legend_outside else 6.5, 3.6 if legend_outside else 3.2)
    else:
        fig, axes = _figure(4.6 * len(panels) + legend_width, 3.6, ncols=len(panels))
    label = ylabel + (f"\n(mean of last {smooth})" if smooth > 1 and ylabel else "")
    for i, (ax, (t, runs)) in enumerate(zip(axes[0], checked.items())):
        _draw_curves(ax, runs, levels[t], styles, markers=markers, ms=5 if single else 4, lw=1.6 if markers else 1.8)
        if ylim is not None:
            ax.set_ylim(*ylim)
            top = ylim[1]
            for name, (steps, y) in runs.items():
                if top is not None and y.max() > top:  # cut off at the top: write the peak there
                    peak = int(np.argmax(y))
                    note = ax.annotate(
                        f"peak {y[peak]:.3g}", xy=(steps[peak], top), xytext=(4, -12), textcoords="offset points",
                        color=PALETTE[styles[name] % len(PALETTE)], fontsize=8,
                    )  # fmt: skip
                    note.set_gid(f"peak:{name}")
        if t in log_panels:
            ax.set_yscale("log")
        if xscale == "symlog":
            ax.set_xscale("symlog", linthresh=1)
            low, high = min(x.min() for x, _ in runs.values()), max(x.max() for x, _ in runs.values())
            ax.set_xlim(low, high * 1.2 if high > 0 else 1)  # no room for negative x that a symlog axis would add
        elif xscale == "log":
            ax.set_xscale("log")
        elif all(float(v).is_integer() for steps, _ in runs.values() for v in steps):
            ax.xaxis.get_major_locator().set_params(integer=True)  # updates and epochs are whole numbers
        ax.set_xlabel(xlabel)
        if i == 0:
            ax.set_ylabel(label)
        if t is not None:
            ax.set_title(t, fontsize=10)
            ax.set_gid(t)
        if not legend_outside and (not single or len(runs) + len(levels[t]) > 1):
            ax.legend(frameon=False, fontsize=8 if not single else None)
    if single and title:
        axes[0, 0].set_title(title)
    elif title:
        fig.suptitle(title)
    if legend_outside:
        handles: dict[str, Any] = {}
        for ax in axes[0]:
            for handle, name in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(name, handle)
        fig.legend(handles.values(), handles.keys(), loc="outside right center", frameon=False, fontsize=9)
    return fig


def plot_training_log(
    log: Mapping[str, NDArray[Any]],
    clip_norm: float | None = None,
    reference: Mapping[str, float] | None = None,
    evaluations: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    smooth: int = 10,
    ylabel: str = "loss",
) -> Figure:
    """One training run update by update: the loss, and the gradient norm against the clipping threshold.

    Parameters
    ----------
    log : Mapping[str, ndarray]
        the log of :func:`rnnlib.training.train` or :func:`rnnlib.training.train_tbptt`:
        ``"loss"`` and ``"grad_norm"`` of shape (S,), and, if it has them, the validation
        measurements ``"val_step"`` and ``"val_loss"``, drawn as marked points
    clip_norm : float | None
        the clipping threshold; drawn, and the clipped fraction given in the title
    reference : Mapping[str, float] | None
        label -> loss level, drawn as in :func:`plot_curves` (e.g. {"uniform guess, log V": 4.25})
    evaluations : Mapping[str, tuple[sequence, sequence]] | None
        further measurements: label -> (update numbers, losses), drawn as marked points
        (e.g. the held-out loss before and after training)
    smooth : int
        width of the moving average drawn over the raw loss (1: none)
    ylabel : str
        what the loss is, e.g. "cross-entropy (nats per character)"

    Returns
    -------
    fig : Figure
        with Axes "loss" and "grad_norm" (gids)
    """
    if not isinstance(log, Mapping) or "loss" not in log or "grad_norm" not in log:
        raise TypeError(
            "log must be a training log, a dict with 'loss' and 'grad_norm' (from rnnlib.training.train); got "
            + (f"a dict with keys {sorted(log)}" if isinstance(log, Mapping) else _describe(log))
        )
    L = _vector("log['loss']", log["loss"])
    g = _vector("log['grad_norm']", log["grad_norm"])
    if g.shape != L.shape:
        raise ValueError(f"log['grad_norm'] must have shape (S,) = {L.shape} like log['loss']; got {g.shape}")
    if (g < 0).any():
        raise ValueError("log['grad_norm'] must be non-negative; got a negative norm")
    smooth = positive_int("smooth", smooth)
    levels = _reference_levels(reference)
    points: dict[str, tuple[Any, Any]] = dict(evaluations or {})
    if "val_loss" in log:
        points = {"validation": (log["val_step"], log["val_loss"])} | points
    fig, axes = _figure(9, 3.3, ncols=2)
    left, right = axes[0]
    left.set_gid("loss")
    right.set_gid("grad_norm")
    steps = np.arange(1, L.size + 1)
    left.plot(steps, L, color=PALETTE[0], lw=0.8, alpha=0.35 if smooth > 1 else 1.0, label="training loss")
    if smooth > 1:
        left.plot(steps, running_mean(L, smooth), color=PALETTE[0], lw=2, label=f"mean of last {smooth}")
    for i, (label, (xs, ys)) in enumerate(points.items()):
        xv, yv = _vector(f"evaluations[{label!r}] steps", np.asarray(xs, float)), _vector(label, np.asarray(ys, float))
        if xv.shape != yv.shape:
            raise ValueError(
                f"evaluations[{label!r}] must pair each update number with one loss; got {xv.shape}, {yv.shape}"
            )
        left.plot(xv, yv, color=PALETTE[1 + i % 4], marker="s", ms=7, ls="none", label=label)
    _reference_lines(left, levels)
    left.set(xlabel="update", ylabel=ylabel)
    left.legend(frameon=False, fontsize=8, loc="center right")
    right.plot(steps, g, color=PALETTE[0], lw=1, label="gradient norm before clipping")
    if clip_norm is not None:
        c = float(clip_norm)
        clipped = g > c
        right.axhline(c, color=OKABE_ITO["vermillion"], lw=1.5, ls="--", label="clipping threshold")
        right.plot(steps[clipped], g[clipped], ls="none", marker="o", ms=3, color=OKABE_ITO["vermillion"],
                   label="clipped updates")  # fmt: skip
        right.set_title(f"clipped in {clipped.mean():.0%} of the updates", fontsize=10)
    right.set(xlabel="update", ylabel="global gradient norm", yscale="log")
    right.legend(frameon=False, fontsize=8)
    return fig


def plot_series(
    times: NDArray[np.generic],
    values: NDArray[np.floating],
    ylabel: str,
    xlabel: str = "time",
    title: str | None = None,
    highlight: Sequence[tuple[object, object, str]] = (),
) -> Figure:
    """A time series as a line, with optional shaded periods.

    Parameters
    ----------
    times : ndarray of shape (T,)
        numbers or datetime64
    values : ndarray of shape (T,)
    ylabel, xlabel, title : str
        axis labels and an optional title
    highlight : sequence
        (start, end, label) triples; each period is shaded and labelled

    Returns
    -------
    fig : Figure
        with one Axes
    """
    y = _vector("values", values)
    x = np.asarray(times)
    if x.shape != y.shape:
        raise ValueError(f"times must have shape (T,) = {y.shape} like values; got {x.shape}")
    fig, axes = _figure(8, 3)
    ax = axes[0, 0]
    for i, (start, end, label) in enumerate(highlight):
        ax.axvspan(start, end, color=PALETTE[1 + i % (len(PALETTE) - 1)], alpha=0.3, lw=0, label=label)
    ax.plot(x, y, color=PALETTE[0], lw=1.2)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    if highlight:
        ax.legend(loc="upper left", frameon=False)
    return fig


def plot_waveform(
    times: NDArray[np.floating],
    signal: NDArray[np.floating],
    zoom: tuple[float, float] | None = None,
) -> Figure:
    """A sampled audio signal: the whole of it, and a zoom on a short stretch.

    Parameters
    ----------
    times : ndarray of shape (T,)
        seconds
    signal : ndarray of shape (T,)
    zoom : tuple[float, float] | None
        (start, end) in seconds of the stretch for the second panel; default
        30 ms from the middle. Its samples are marked, to show the signal is a sequence.

    Returns
    -------
    fig : Figure
        with two Axes (whole signal, zoom)
    """
    t = _vector("times", times)
    s = _vector("signal", signal)
    if t.shape != s.shape:
        raise ValueError(f"times must have shape (T,) = {s.shape} like signal; got {t.shape}")
    if zoom is None:
        mid = t[len(t) // 2]
        zoom = (mid, mid + 0.03)
    if len(zoom) != 2 or not zoom[0] < zoom[1]:
        raise ValueError(f"zoom must be (start, end) seconds with start < end; got {zoom}")
    inside = (t >= zoom[0]) & (t <= zoom[1])
    if not inside.any():
        raise ValueError(f"zoom must overlap the signal's times [{t[0]}, {t[-1]}]; got {zoom}")
    fig, axes = _figure(8, 4.5, nrows=2)
    top, bottom = axes[:, 0]
    top.plot(t, s, color=PALETTE[0], lw=0.5)
    top.axvspan(*zoom, color=PALETTE[1], alpha=0.35, lw=0, label="zoomed below")
    top.set(xlabel="time (s)", ylabel="amplitude")
    top.legend(loc="upper right", frameon=False)
    bottom.plot(1000 * t[inside], s[inside], color=PALETTE[0], lw=1, marker=".", ms=4)
    bottom.set(xlabel="time (ms)", ylabel="amplitude")
    return fig


def plot_length_histogram(
    lengths: NDArray[np.integer] | Sequence[int],
    unit: str = "tokens",
    marks: Mapping[str, float] | None = None,
) -> Figure:
    """Histogram of sequence lengths, one bar per length, with optional marked values.

    Parameters
    ----------
    lengths : ndarray of shape (N,) of positive ints
    unit : str
        what a length counts, for the axis label
    marks : Mapping[str, float] | None
        label -> value, drawn as vertical lines (e.g. {"mean": 20.5, "longest": 204})

    Returns
    -------
    fig : Figure
        with one Axes
    """
    L = np.asarray(lengths)
    if L.ndim != 1 or L.size == 0 or not np.issubdtype(L.dtype, np.integer):
        raise TypeError(f"lengths must be a 1-D array of shape (N,) of ints; got {_describe(lengths)}")
    fig, axes = _figure(8, 3)
    ax = axes[0, 0]
    bins = np.arange(L.min(), L.max() + 2) - 0.5
    ax.hist(L, bins=bins, color=PALETTE[0])
    for i, (label, value) in enumerate((marks or {}).items()):
        ax.axvline(value, color=PALETTE[1 + i % (len(PALETTE) - 1)], lw=2, ls=("--", ":", "-.")[i % 3], label=label)
    ax.set(xlabel=f"length ({unit})", ylabel="count")
    if marks:
        ax.legend(loc="upper center", frameon=False)
    return fig


def plot_padding(
    lengths: NDArray[np.integer] | Sequence[int],
    batchings: Mapping[str, Sequence[NDArray[np.integer]]],
) -> Figure:
    """Where the real steps and the padding go, for one or more ways of batching.

    Each panel draws every sequence as a row: a bar for its real steps, then a
    hatched bar for the padding up to the longest sequence of its batch. Batches
    are separated by a gap.

    Parameters
    ----------
    lengths : ndarray of shape (N,) of positive ints
    batchings : Mapping[str, sequence]
        title -> list of index arrays (each a batch), one panel per entry

    Returns
    -------
    fig : Figure
        with one Axes per batching
    """
    L = np.asarray(lengths)
    if L.ndim != 1 or L.size == 0 or not np.issubdtype(L.dtype, np.integer):
        raise TypeError(f"lengths must be a 1-D array of shape (N,) of ints; got {_describe(lengths)}")
    if not isinstance(batchings, Mapping) or len(batchings) == 0:
        raise TypeError(
            f"batchings must be a non-empty dict of title -> list of index arrays; got {_describe(batchings)}"
        )
    fig, axes = _figure(4 * len(batchings), 4, ncols=len(batchings), sharex=True)
    for ax, (title, batches) in zip(axes[0], batchings.items()):
        rows: list[int] = []  # one entry per sequence, in batch order, as are real and padded_to
        real: list[int] = []
        padded_to: list[int] = []
        row = 0
        for b in batches:
            idx = np.asarray(b)
            rows.extend(range(row, row - len(idx), -1))
            real.extend(L[idx])
            padded_to.extend([L[idx].max()] * len(idx))
            row -= len(idx) + 1  # a gap between batches
        real_, pad_ = np.array(real), np.array(padded_to) - np.array(real)
        ax.barh(rows, real_, height=1, color=PALETTE[0], lw=0)
        ax.barh(rows, pad_, left=real_, height=1, color=PALETTE[1], alpha=0.6, lw=0, hatch="///")
        ax.set_title(f"{title}\npadding: {pad_.sum() / (real_.sum() + pad_.sum()):.0%} of all steps", fontsize=10)
        ax.set(xlabel="time step t", yticks=[])
        ax.spines["left"].set_visible(False)
    handles = [
        Patch(color=PALETTE[0], label="real step"),
        Patch(color=PALETTE[1], alpha=0.6, hatch="///", label="padding"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
    return fig


def plot_encodings(
    tokens: Sequence[str],
    one_hot_rows: NDArray[np.floating],
    embedded_rows: NDArray[np.floating],
    vocabulary: Sequence[str],
) -> Figure:
    """One sentence two ways: its one-hot matrix (T, V) beside its embeddings (T, D).

    Parameters
    ----------
    tokens : sequence
        the T tokens, labelling the rows
    one_hot_rows : ndarray of shape (T, V)
    embedded_rows : ndarray of shape (T, D)
    vocabulary : sequence
        the V token strings, labelling the one-hot columns

    Returns
    -------
    fig : Figure
        with two Axes (one-hot, embedding)
    """
    X = as_float_array("one_hot_rows", one_hot_rows)
    E = as_float_array("embedded_rows", embedded_rows)
    T = len(tokens)
    if X.ndim != 2 or X.shape[0] != T:
        raise ValueError(f"one_hot_rows must have shape (T, V) with T={T} tokens; got {X.shape}")
    if E.ndim != 2 or E.shape[0] != T:
        raise ValueError(f"embedded_rows must have shape (T, D) with T={T} tokens; got {E.shape}")
    if len(vocabulary) != X.shape[1]:
        raise ValueError(f"vocabulary must hold V={X.shape[1]} tokens like one_hot_rows; got {len(vocabulary)}")
    V, D = X.shape[1], E.shape[1]
    fig, axes = _figure(8, 0.6 + 0.32 * T, ncols=2, width_ratios=[V, max(D, 4)])
    left, right = axes[0]
    left.imshow(X, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=1, aspect="auto")
    left.set_xticks(range(V), list(vocabulary), rotation=90, fontsize=7)
    left.set_yticks(range(T), list(tokens))
    left.set_title(f"one-hot: shape (T, V) = ({T}, {V})", fontsize=10)
    lim = max(float(np.abs(E).max()), 1e-12)
    im = right.imshow(E, cmap=DIVERGING_CMAP, vmin=-lim, vmax=lim, aspect="auto")
    right.set_xticks(range(D))
    right.set_yticks(range(T), list(tokens))
    right.set_xlabel("embedding dimension")
    right.set_title(f"embedding: shape (T, D) = ({T}, {D})", fontsize=10)
    fig.colorbar(im, ax=right, shrink=0.8)
    return fig


def plot_probabilities(
    phrases: Sequence[str],
    probabilities: Mapping[str, NDArray[np.floating]],
    targets: Sequence[int] | None = None,
) -> Figure:
    """Grouped horizontal bars: each model's P(positive) for each phrase, with the 0.5 threshold.

    Parameters
    ----------
    phrases : sequence
        the P phrases, one row each
    probabilities : Mapping[str, ndarray]
        model name -> ndarray of shape (P,) of probabilities in [0, 1]
    targets : sequence | None
        optional true 0/1 label of each phrase, shown after the phrase

    Returns
    -------
    fig : Figure
        with one Axes
    """
    P = len(phrases)
    if P == 0:
        raise ValueError("phrases must hold at least one phrase; got none")
    if not isinstance(probabilities, Mapping) or len(probabilities) == 0:
        raise TypeError(
            f"probabilities must be a non-empty dict of model name -> array; got {_describe(probabilities)}"
        )
    probs = {}
    for name, p in probabilities.items():
        p = as_float_array(f"probabilities[{name!r}]", p)
        if p.shape != (P,):
            raise ValueError(f"probabilities[{name!r}] must have shape (P,) = ({P},); got {p.shape}")
        if (p < 0).any() or (p > 1).any():
            raise ValueError(f"probabilities[{name!r}] must lie in [0, 1]; got {p.min()}..{p.max()}")
        probs[name] = p
    if targets is not None and len(targets) != P:
        raise ValueError(f"targets must hold one label per phrase ({P}); got {len(targets)}")
    labels = list(phrases)
    if targets is not None:
        labels = [f"{ph}  ({'+' if t else '-'})" for ph, t in zip(phrases, targets)]
    M = len(probs)
    height = 0.8 / M
    fig, axes = _figure(8, 0.5 + 0.45 * P * max(M, 2) / 2)
    ax = axes[0, 0]
    rows = np.arange(P)[::-1].astype(float)
    hatches = ("", "..", "//", "xx")
    for m, (name, p) in enumerate(probs.items()):
        y = rows + 0.4 - height * (m + 0.5)
        bars = ax.barh(y, p, height=height * 0.95, color=PALETTE[m], hatch=hatches[m % 4], label=name)
        ax.bar_label(bars, fmt="%.2f", padding=3, fontsize=8)  # so that bars of length ~0 are still read
    ax.axvline(0.5, color=OKABE_ITO["black"], lw=1, ls="--")
    ax.set_yticks(rows, labels)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set(xlim=(0, 1.1), xlabel="P(positive)")
    fig.legend(loc="outside lower center", ncols=M, frameon=False)
    return fig


# ---------------------------------------------------------------------------
# Hidden-state trajectories (chapter 2)
# ---------------------------------------------------------------------------


def plot_state_trajectories(
    paths: Mapping[str, NDArray[np.floating]],
    words: Mapping[str, Sequence[str]] | None = None,
    cloud: NDArray[np.floating] | None = None,
    cloud_labels: NDArray[np.integer] | None = None,
    axis_labels: tuple[str, str] = ("first principal component", "second principal component"),
) -> Figure:
    """Paths of hidden states in a 2-D projection, one per sentence, over a cloud of final states.

    Parameters
    ----------
    paths : Mapping[str, ndarray]
        sentence -> ndarray of shape (T + 1, 2), the projected h_0, h_1, ..., h_T
    words : Mapping[str, sequence] | None
        sentence -> its T tokens, written beside h_1 ... h_T (optional)
    cloud : optional ndarray of shape (M, 2)
        e.g. the projected final states of many reviews
    cloud_labels : ndarray of shape (M,)
        of 0/1 labels colouring the cloud (negative, positive)
    axis_labels : tuple[str, str]
        names of the two projected axes

    Returns
    -------
    fig : Figure
        with one Axes; each path is a line whose start (h_0) is a black square
        and whose end (h_T) is a large marker
    """
    if not isinstance(paths, Mapping) or len(paths) == 0:
        raise TypeError(f"paths must be a non-empty dict of sentence -> (T + 1, 2) array; got {_describe(paths)}")
    checked = {}
    for name, p in paths.items():
        p = as_float_array(f"paths[{name!r}]", p)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 2:
            raise ValueError(f"paths[{name!r}] must have shape (T + 1, 2) with T >= 1; got {p.shape}")
        if words is not None and len(words.get(name, ())) != p.shape[0] - 1:
            raise ValueError(
                f"words[{name!r}] must hold T = {p.shape[0] - 1} tokens, one per step; got {len(words.get(name, ()))}"
            )
        checked[name] = p
    fig, axes = _figure(7, 5)
    ax = axes[0, 0]
    if cloud is not None:
        c = as_float_array("cloud", cloud)
        if c.ndim != 2 or c.shape[1] != 2:
            raise ValueError(f"cloud must have shape (M, 2); got {c.shape}")
        lab = np.zeros(len(c), dtype=int) if cloud_labels is None else np.asarray(cloud_labels)
        if lab.shape != (len(c),):
            raise ValueError(f"cloud_labels must have shape (M,) = ({len(c)},); got {lab.shape}")
        for value, name, colour, marker in ((0, "negative", PALETTE[3], "v"), (1, "positive", PALETTE[2], "^")):
            pts = c[lab == value]
            if len(pts):
                what = f"final states of {name} reviews" if cloud_labels is not None else "final states"
                ax.scatter(pts[:, 0], pts[:, 1], s=14, color=colour, marker=marker, alpha=0.35, lw=0, label=what)
    path_colours = (PALETTE[0], PALETTE[1], PALETTE[4], PALETTE[5], PALETTE[6])
    for i, (name, p) in enumerate(checked.items()):
        colour = path_colours[i % len(path_colours)]
        ax.plot(p[:, 0], p[:, 1], color=colour, lw=2, marker="o", ms=4, label=f"\u201c{name}\u201d", zorder=3)
        ax.plot(*p[-1], color=colour, marker="*", ms=16, mec=OKABE_ITO["black"], mew=0.8, zorder=4)
        ax.plot(*p[0], color=OKABE_ITO["black"], marker="s", ms=7, zorder=4)
        for w, (x, y) in zip(words.get(name, ()) if words else (), p[1:]):
            ax.annotate(w, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8, color=colour, zorder=5)
    ax.plot([], [], color=OKABE_ITO["black"], marker="s", ms=7, ls="none", label="$h_0$ (start)")
    ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1])
    fig.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    return fig


# ---------------------------------------------------------------------------
# Vanishing and exploding gradients (chapter 5)
# ---------------------------------------------------------------------------


def plot_jacobian_norm_curves(
    curves: Mapping[str, Mapping[float, Mapping[str, Any]]], show_bound: bool = True
) -> Figure:
    """Draw curves of ||dh_T/dh_t|| and their bounds, one panel per activation.

    Parameters
    ----------
    curves : Mapping[str, Mapping[float, Mapping[str, object]]]
        activation name -> {sigma_max -> dict from :func:`rnnlib.gradients.jacobian_norm_curve`
        with "t", "norm" and "bound" of shape (T,) and "sigma_max", "spectral_radius"}, as returned
        (per activation) by :func:`rnnlib.gradients.jacobian_norm_curves`. When the spectral radius
        differs from sigma_max (a non-orthogonal W_hh) the legend gives it too.
    show_bound : bool
        draw the dashed bounds

    Returns
    -------
    fig : Figure
        with one Axes per activation (gid = the activation's name); each measured
        curve is a line with gid "measured", each bound a line with gid "bound"
    """
    from rnnlib.gradients import derivative_bound

    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"curves must be a non-empty dict of activation -> dict of curves; got {_describe(curves)}")
    acts = list(curves)
    ncols = min(len(acts), 2)
    nrows = -(-len(acts) // ncols)
    fig, axes = _figure(4.2 * ncols if ncols > 1 else 7, 3.4 * nrows, ncols=ncols, nrows=nrows)
    for ax in axes.flat[len(acts) :]:
        ax.set_visible(False)
    for ax, act in zip(axes.flat, acts):
        gamma = derivative_bound(act)
        if not isinstance(curves[act], Mapping) or not curves[act]:
            raise TypeError(f"curves[{act!r}] must be a non-empty dict of scale -> curve; got {_describe(curves[act])}")
        lowest = 1.0
        for i, (scale, c) in enumerate(curves[act].items()):
            missing = {"t", "norm", "bound", "sigma_max", "spectral_radius"} - set(c)
            if missing:
                raise ValueError(f"curves[{act!r}][{scale!r}] lacks {sorted(missing)}; use jacobian_norm_curve")
            colour = PALETTE[i % len(PALETTE)]
            label = f"$\\sigma_{{max}}$ = {scale:g}"
            if not np.isclose(c["spectral_radius"], c["sigma_max"], rtol=1e-6):
                label += f" ($\\rho$ = {c['spectral_radius']:.2f})"
            ax.plot(c["t"], c["norm"], color=colour, lw=3, alpha=0.6, label=label, gid="measured")
            if show_bound:  # thin and on top, so that it stays visible where it equals the measurement
                ax.plot(c["t"], c["bound"], color=colour, lw=1.2, ls="--", gid="bound", zorder=3)
            positive = c["norm"][c["norm"] > 0]
            lowest = min(lowest, float(positive.min()) if positive.size else lowest)
        ax.set_yscale("log")
        ax.set_ylim(bottom=max(lowest / 3, 1e-20))
        ax.set(xlabel="step $t$", ylabel=r"$\|\partial h_T / \partial h_t\|$")
        ax.set_title(f"{act}, $\\gamma$ = {gamma:g}", fontsize=10)
        ax.set_gid(act)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if show_bound:
        handles.append(axes.flat[0].plot([], [], color=OKABE_ITO["black"], lw=1, ls="--")[0])
        labels.append(r"bound $(\gamma\,\sigma_{max})^{T-t}$")
    fig.legend(handles, labels, loc="outside right center", frameon=False, fontsize=9)
    return fig


def plot_step_gradient_norms(
    runs: Mapping[str, Mapping[str, NDArray[np.floating]]],
    ylabel: str = r"$\|\partial L / \partial h_t\|$",
) -> Figure:
    """Per-step gradient norms of real runs: one panel per run, one line style per stage.

    Parameters
    ----------
    runs : Mapping[str, Mapping[str, ndarray]]
        run name -> {stage name -> ndarray of shape (T,)}, e.g.
        ``{"T = 20": {"at initialisation": n0, "after training": n1}}``; the first stage is
        drawn solid, the second dashed, then dotted, in the same colours in every panel;
        runs may differ in T, and each panel has its own log scale
    ylabel : str
        the quantity plotted

    Returns
    -------
    fig : Figure
        with one Axes per run (gid = the run's name); x is the step t = 1..T
    """
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(f"runs must be a non-empty dict of run name -> dict of curves; got {_describe(runs)}")
    fig, axes = _figure(4.2 * len(runs) if len(runs) > 1 else 7, 3.4, ncols=len(runs))
    for ax, (run, stages) in zip(axes[0], runs.items()):
        if not isinstance(stages, Mapping) or not stages:
            raise TypeError(f"runs[{run!r}] must be a non-empty dict of stage name -> array; got {_describe(stages)}")
        for j, (stage, values) in enumerate(stages.items()):
            y = _vector(f"runs[{run!r}][{stage!r}]", values)
            if (y <= 0).any():
                raise ValueError(f"runs[{run!r}][{stage!r}] must be positive to be drawn on a log scale")
            ls = _LINESTYLES[j % len(_LINESTYLES)]
            ax.plot(np.arange(1, y.size + 1), y, color=PALETTE[j % len(PALETTE)], ls=ls, lw=2, label=stage)
        ax.set_yscale("log")
        ax.set(xlabel="step $t$", ylabel=ylabel, title=run)
        ax.set_gid(run)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False, fontsize=9)
    return fig


def plot_error_vs_length(
    lengths: Sequence[int] | NDArray[np.integer],
    errors: Mapping[str, NDArray[np.floating]],
    baselines: Mapping[str, float] | None = None,
    ylabel: str = "test MSE",
) -> Figure:
    """Test error against sequence length, with horizontal lines for reference baselines.

    Parameters
    ----------
    lengths : sequence | ndarray
        the K sequence lengths T, drawn on a log-2 axis
    errors : Mapping[str, ndarray]
        model name -> ndarray of shape (K,)
    baselines : Mapping[str, float] | None
        label -> value, each drawn as a horizontal line (e.g. the trivial baseline)
    ylabel : str
        the error's name

    Returns
    -------
    fig : Figure
        with one Axes; the error lines have gid "error", the baselines gid "baseline"
    """
    L = np.asarray(lengths)
    if L.ndim != 1 or L.size == 0 or not np.issubdtype(L.dtype, np.integer) or (L <= 0).any():
        raise TypeError(f"lengths must be a 1-D array of shape (K,) of positive ints; got {_describe(lengths)}")
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError(f"errors must be a non-empty dict of model name -> array; got {_describe(errors)}")
    fig, axes = _figure(7, 3.6)
    ax = axes[0, 0]
    for i, (name, e) in enumerate(errors.items()):
        e = _vector(f"errors[{name!r}]", e)
        if e.shape != L.shape:
            raise ValueError(f"errors[{name!r}] must have shape (K,) = {L.shape} like lengths; got {e.shape}")
        ax.plot(L, e, color=PALETTE[i % len(PALETTE)], marker="o", lw=2, label=name, gid="error")
    for j, (label, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, color=OKABE_ITO["black"], lw=1, ls=_LINESTYLES[1 + j % 3], label=label, gid="baseline")
    ax.set_xscale("log", base=2)
    ax.set_xticks(L, [str(int(v)) for v in L])
    ax.minorticks_off()
    ax.set(xlabel="sequence length $T$", ylabel=ylabel, ylim=(0, None))
    fig.legend(loc="outside lower center", ncols=1, frameon=False, fontsize=9)  # below, clear of the lines
    return fig


def plot_clipping(
    histories: Mapping[str, Mapping[str, NDArray[np.floating]]],
    max_norm: float | None = None,
    baseline: float | None = None,
) -> Figure:
    """Training with and without gradient-norm clipping: gradient norm and loss per step.

    Parameters
    ----------
    histories : Mapping[str, Mapping[str, ndarray]]
        run name -> {"grad_norm": ndarray of shape (S,), the global norm before
        clipping, "loss": ndarray of shape (S,)}
    max_norm : float | None
        the clipping threshold, drawn in the gradient panel
    baseline : float | None
        a reference loss (e.g. the trivial baseline), drawn in the loss panel

    Returns
    -------
    fig : Figure
        with Axes "grad_norm" and "loss", both on log scales
    """
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError(f"histories must be a non-empty dict of run name -> dict; got {_describe(histories)}")
    fig, axes = _figure(9, 3.4, ncols=2)
    left, right = axes[0]
    left.set_gid("grad_norm")
    right.set_gid("loss")
    for i, (name, h) in enumerate(histories.items()):
        if not isinstance(h, Mapping) or not {"grad_norm", "loss"} <= set(h):
            raise TypeError(f"histories[{name!r}] must be a dict with 'grad_norm' and 'loss'; got {_describe(h)}")
        g = _vector(f"histories[{name!r}]['grad_norm']", h["grad_norm"])
        loss = _vector(f"histories[{name!r}]['loss']", h["loss"])
        colour = PALETTE[i % len(PALETTE)]
        left.plot(np.arange(1, g.size + 1), g, color=colour, lw=1.5, label=name)
        right.plot(np.arange(1, loss.size + 1), loss, color=colour, lw=1.5, label=name)
    if max_norm is not None:
        left.axhline(max_norm, color=OKABE_ITO["black"], lw=1, ls="--", label="clipping threshold")
    if baseline is not None:
        right.axhline(baseline, color=OKABE_ITO["black"], lw=1, ls=":", label="trivial baseline")
    left.set(yscale="log", xlabel="SGD step", ylabel="gradient norm (before clipping)")
    right.set(yscale="log", xlabel="SGD step", ylabel="training loss (MSE)")
    left.legend(frameon=False, fontsize=9)
    right.legend(frameon=False, fontsize=9)
    return fig


def plot_unit_circle_map(W: NDArray[np.floating]) -> Figure:
    """The unit circle of row vectors x and its image x W, an ellipse, with the singular values marked.

    With the SVD W = U diag(sigma) R^T (the book's letters: V is the vocabulary size), the
    row vector u_i (column i of U) is mapped to sigma_i r_i (r_i = column i of R): the
    ellipse's semi-axes. The arrow of u_i and that of sigma_i r_i have the same colour.

    Parameters
    ----------
    W : ndarray of shape (2, 2)
        the matrix, applied from the right as in the book's row-vector convention

    Returns
    -------
    fig : Figure
        with Axes "input" (the unit circle) and "output" (its image, with the unit circle
        dashed for scale); the arrows of the singular directions have gid "singular"
    """
    W = as_float_array("W", W)
    if W.shape != (2, 2):
        raise ValueError(f"W must have shape (2, 2); got {W.shape}")
    U, sigma, Vt = np.linalg.svd(W)
    theta = np.linspace(0.0, 2.0 * np.pi, 361)
    circle = np.stack([np.cos(theta), np.sin(theta)], axis=1)  # (361, 2), one row vector per angle
    image = circle @ W  # (361, 2)
    fig, axes = _figure(8, 3.9, ncols=2)
    left, right = axes[0]
    left.set_gid("input")
    right.set_gid("output")
    left.plot(circle[:, 0], circle[:, 1], color=OKABE_ITO["black"], lw=1.5)
    right.plot(circle[:, 0], circle[:, 1], color=OKABE_ITO["black"], lw=0.8, ls="--", label="unit circle")
    right.plot(image[:, 0], image[:, 1], color=OKABE_ITO["black"], lw=1.5, label="image $xW$")
    for i in range(2):
        colour = PALETTE[i]
        start, end = U[:, i], sigma[i] * Vt[i]
        for ax, tip, label in ((left, start, f"$u_{i + 1}$"), (right, end, f"$\\sigma_{i + 1} r_{i + 1}$")):
            arrow = ax.annotate("", xy=tip, xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2})
            arrow.set_gid("singular")
            at = tip + 0.18 * tip / np.linalg.norm(tip)  # just beyond the arrow's tip
            ax.text(*at, label, color=colour, ha="center", va="center", fontsize=11)
    right.plot([], [], color=PALETTE[0], lw=2, label=f"$\\sigma_1$ = {sigma[0]:.2f}")
    right.plot([], [], color=PALETTE[1], lw=2, label=f"$\\sigma_2$ = {sigma[1]:.2f}")
    reach = 1.3 * max(1.0, float(sigma[0]))
    for ax, title in ((left, "row vectors $x$ with $\\|x\\| = 1$"), (right, "their images $xW$")):
        ax.set(xlim=(-reach, reach), ylim=(-reach, reach), aspect="equal", title=title)
        ax.axhline(0, color="0.85", lw=0.8, zorder=0)
        ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    fig.legend(*right.get_legend_handles_labels(), frameon=False, fontsize=9, loc="outside lower center", ncols=4)
    return fig


def plot_power_norms(norms: Mapping[str, NDArray[np.floating]], radii: Mapping[str, float] | None = None) -> Figure:
    """||W^p|| against the power p on a log scale for several matrices, with rho^p for comparison.

    Parameters
    ----------
    norms : Mapping[str, ndarray]
        matrix name -> ndarray of shape (P + 1,), the norms of W^0, ..., W^P, as from
        :func:`rnnlib.gradients.power_norms`
    radii : Mapping[str, float] | None
        matrix name -> its spectral radius rho; rho^p is drawn dotted, in the matrix's colour,
        and only once, in black, when several matrices share the same rho

    Returns
    -------
    fig : Figure
        with one Axes; the norms have gid "norm", the lines rho^p gid "radius"
    """
    if not isinstance(norms, Mapping) or not norms:
        raise TypeError(f"norms must be a non-empty dict of matrix name -> array; got {_describe(norms)}")
    radii = {} if radii is None else radii
    unknown = set(radii) - set(norms)
    if unknown:
        raise ValueError(f"radii names {sorted(unknown)} that are not in norms ({sorted(norms)})")
    fig, axes = _figure(7, 3.6)
    ax = axes[0, 0]
    shared: list[dict[str, Any]] = []  # one per distinct rho: its value, the matrices that have it, their colours
    for i, (name, n) in enumerate(norms.items()):
        n = _vector(f"norms[{name!r}]", n)
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(np.arange(n.size), n, color=colour, lw=2, marker="o", ms=3, label=f"{name}: $\\|W^p\\|$", gid="norm")
        if name in radii:
            rho = float(radii[name])
            if not np.isfinite(rho) or rho < 0:
                raise ValueError(f"radii[{name!r}] must be a non-negative number; got {radii[name]!r}")
            group = next((g for g in shared if np.isclose(g["rho"], rho, rtol=1e-9, atol=0.0)), None)
            if group is None:
                shared.append({"rho": rho, "names": [name], "colour": colour, "size": n.size})
            else:
                group["names"].append(name)
                group["size"] = max(group["size"], n.size)
    for g in shared:  # rho^p once per distinct rho, in black when several matrices share it
        p = np.arange(g["size"])
        count = len(g["names"])
        colour = g["colour"] if count == 1 else OKABE_ITO["black"]
        who = g["names"][0] if count == 1 else "both" if count == 2 else f"all {count}"
        label = f"{who}: $\\rho^p$, $\\rho$ = {g['rho']:.2f}"
        ax.plot(p, g["rho"] ** p, color=colour, lw=1.2, ls=":", label=label, gid="radius")
    ax.axhline(1.0, color="0.6", lw=0.8, zorder=0)
    ax.set(yscale="log", xlabel="power $p$", ylabel="spectral norm")
    fig.legend(loc="outside right center", frameon=False, fontsize=9)
    return fig


# ---------------------------------------------------------------------------
# The chain-rule terms of a gradient (chapter 4)
# ---------------------------------------------------------------------------


def _math_symbol(name: str) -> str:
    """ "W_xh" -> "W_{xh}" for mathtext: the subscript of a parameter name, braced."""
    head, _, sub = name.partition("_")
    return f"{head}_{{{sub}}}" if sub else name


def plot_path_terms(terms: Mapping[str, Sequence[float] | NDArray[np.floating]], decimals: int = 3) -> Figure:
    """The chain-rule paths that make up each gradient, as bars, with their sum.

    One panel per parameter. Bar t is the path through step t (the term of the
    gradient that flows through a_t); the last, hatched bar is their sum, the gradient
    itself. Each bar is labelled with its value.

    Parameters
    ----------
    terms : Mapping[str, sequence | ndarray]
        parameter name -> ndarray of shape (T,), the path terms for t = 1..T
        (e.g. ``scalar_bptt(...).paths["W_xh"]``); different parameters may have different T
    decimals : int
        how many decimals the value labels show

    Returns
    -------
    fig : Figure
        with one Axes per parameter; in each, T + 1 bars (paths, then the sum)
    """
    if not isinstance(terms, Mapping) or len(terms) == 0:
        raise TypeError(
            f"terms must be a non-empty dict of parameter name -> array of shape (T,); got {_describe(terms)}"
        )
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative int; got {decimals!r}")
    values = {name: _vector(f"terms[{name!r}]", as_float_array(f"terms[{name!r}]", v)) for name, v in terms.items()}
    widest = max(len(v) for v in values.values())
    fig, axes = _figure(2.2 + 1.05 * widest * len(values) ** 0.5 + 1.4 * len(values), 3.2, ncols=len(values))
    for ax, (name, v) in zip(axes[0], values.items()):
        T = len(v)
        total = float(np.sum(v))
        heights = np.append(v, total) + 0.0  # + 0.0 turns -0.0 into 0.0, so no label reads "-0.000"
        bars = ax.bar(np.arange(T + 1), heights, color=[PALETTE[0]] * T + [PALETTE[1]], width=0.7)
        bars[-1].set_hatch("//")
        ax.axhline(0, color=OKABE_ITO["black"], lw=0.8)
        ax.bar_label(bars, labels=[f"{h:.{decimals}f}" for h in heights], fontsize=8, padding=2)
        ax.set_xticks(range(T + 1), [f"via $a_{{{t}}}$" for t in range(1, T + 1)] + ["sum"], fontsize=9)
        ax.set_title(f"terms of $dL/d{_math_symbol(name)}$", fontsize=10)
        low, high = min(0.0, heights.min()), max(0.0, heights.max())
        pad = 0.18 * (high - low if high > low else 1.0)
        ax.set_ylim(low - pad, high + pad)
    return fig


# ---------------------------------------------------------------------------
# The architecture types (chapter 3)
# ---------------------------------------------------------------------------


def plot_generated(
    truth: NDArray[np.floating],
    generated: NDArray[np.floating],
    titles: Sequence[str] | None = None,
    ylabel: str = "value",
    labels: tuple[str, str] = ("truth", "generated"),
) -> Figure:
    """Small multiples: each true sequence, with the sequence a model generated for it drawn over it.

    Parameters
    ----------
    truth : ndarray of shape (M, T)
        one true sequence per panel
    generated : ndarray of shape (M, T)
        what the model produced for each
    titles : sequence | None
        optional M panel titles (e.g. the condition each sequence was generated from)
    ylabel : str
        label of the value axis
    labels : tuple[str, str]
        legend names of the two lines

    Returns
    -------
    fig : Figure
        with M Axes (at most four per row); in each, the truth is a solid line
        with dots and the generated sequence a dashed line with crosses, at steps 1..T
    """
    y = as_float_array("truth", truth)
    g = as_float_array("generated", generated)
    if y.ndim != 2 or y.shape[0] == 0 or y.shape[1] == 0:
        raise ValueError(f"truth must have shape (M, T) with M, T >= 1; got {y.shape}")
    if g.shape != y.shape:
        raise ValueError(f"generated must have the shape of truth (M, T) = {y.shape}; got {g.shape}")
    M, T = y.shape
    if titles is not None and (isinstance(titles, str) or len(titles) != M):
        raise ValueError(f"titles must hold one str per sequence, M = {M}; got {_describe(titles)}")
    ncols = min(M, 4)
    nrows = -(-M // ncols)
    fig, axes = _figure(2.4 * ncols + 0.6, 2.2 * nrows + 0.4, ncols=ncols, nrows=nrows, sharey=True)
    steps = np.arange(1, T + 1)
    for m, ax in enumerate(axes.flat):
        if m >= M:
            ax.set_visible(False)
            continue
        ax.plot(steps, y[m], color=PALETTE[0], lw=1.6, marker=".", ms=4, label=labels[0])
        ax.plot(steps, g[m], color=PALETTE[1], lw=1.4, ls="--", marker="x", ms=3.5, label=labels[1])
        if titles is not None:
            ax.set_title(titles[m], fontsize=9)
        ax.set_xlabel("step t")
    for row in axes:
        row[0].set_ylabel(ylabel)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=2, frameon=False)
    return fig


def plot_token_probabilities(
    tokens: Sequence[Sequence[str]],
    probabilities: Sequence[NDArray[np.floating]],
    ylabel: str = "P(class 1)",
    titles: Sequence[str] | None = None,
) -> Figure:
    """How a many-to-one verdict builds up: the probability after each token, one panel per sequence.

    Parameters
    ----------
    tokens : sequence
        M token lists, the sequences as they were read
    probabilities : sequence
        M ndarrays of shape (T_m,), the probability read from h_1, ..., h_{T_m}
    ylabel : str
        what the probability is of (e.g. "P(spam)")
    titles : sequence | None
        optional M panel titles (e.g. the true label of each sequence)

    Returns
    -------
    fig : Figure
        with M Axes stacked vertically; each has a line with one point per
        token (the tokens label the x axis) and the 0.5 threshold dashed
    """
    if isinstance(tokens, str) or not isinstance(tokens, Sequence) or len(tokens) == 0:
        raise TypeError(f"tokens must be a non-empty list of token lists; got {_describe(tokens)}")
    if len(probabilities) != len(tokens):
        raise ValueError(f"probabilities must hold one array per sequence ({len(tokens)}); got {len(probabilities)}")
    checked = []
    for m, (toks, p) in enumerate(zip(tokens, probabilities)):
        p = _vector(f"probabilities[{m}]", p)
        if isinstance(toks, str) or len(toks) != p.size:
            raise ValueError(f"tokens[{m}] must hold one token per probability ({p.size}); got {_describe(toks)}")
        if (p < 0).any() or (p > 1).any():
            raise ValueError(f"probabilities[{m}] must lie in [0, 1]; got {p.min()}..{p.max()}")
        checked.append((list(toks), p))
    if titles is not None and (isinstance(titles, str) or len(titles) != len(checked)):
        raise ValueError(f"titles must hold one str per sequence ({len(checked)}); got {_describe(titles)}")
    widest = max(len(t) for t, _ in checked)
    fig, axes = _figure(max(5.0, 0.75 * widest + 1.5), 1.7 * len(checked) + 0.3, nrows=len(checked))
    for m, (ax, (toks, p)) in enumerate(zip(axes[:, 0], checked)):
        if titles is not None:
            ax.set_title(titles[m], fontsize=9, loc="left")
        steps = np.arange(len(toks))
        ax.axhline(0.5, color=OKABE_ITO["black"], lw=0.8, ls="--")
        ax.plot(steps, p, color=PALETTE[0], lw=1.8, marker="o", ms=5)
        ax.set_xticks(steps, toks, fontsize=9)
        ax.set(ylim=(-0.05, 1.05), xlim=(-0.5, widest - 0.5), ylabel=ylabel)
        ax.set_yticks([0, 0.5, 1])
    return fig


def plot_accuracy_bars(
    categories: Sequence[str],
    accuracies: Mapping[str, NDArray[np.floating] | Sequence[float]],
    ylabel: str = "accuracy",
    xlabel: str | None = None,
) -> Figure:
    """Grouped vertical bars: one group per category, one bar per model, each labelled with its value.

    Parameters
    ----------
    categories : sequence
        the C group names (e.g. part-of-speech tags)
    accuracies : Mapping[str, ndarray | sequence]
        model name -> ndarray of shape (C,) of values in [0, 1]
    ylabel, xlabel : str
        axis labels

    Returns
    -------
    fig : Figure
        with one Axes; bars of model m are in colour m of :data:`PALETTE`
        with their own hatch, so they also read in grey
    """
    C = len(categories)
    if isinstance(categories, str) or C == 0:
        raise TypeError(f"categories must be a non-empty list of str; got {_describe(categories)}")
    if not isinstance(accuracies, Mapping) or len(accuracies) == 0:
        raise TypeError(f"accuracies must be a non-empty dict of model name -> array; got {_describe(accuracies)}")
    values = {}
    for name, a in accuracies.items():
        a = as_float_array(f"accuracies[{name!r}]", np.asarray(a, dtype=np.float64))
        if a.shape != (C,):
            raise ValueError(f"accuracies[{name!r}] must have shape (C,) = ({C},); got {a.shape}")
        if (a < 0).any() or (a > 1).any():
            raise ValueError(f"accuracies[{name!r}] must lie in [0, 1]; got {a.min()}..{a.max()}")
        values[name] = a
    M = len(values)
    width = 0.8 / M
    fig, axes = _figure(max(5.0, 0.55 * C * M + 1.5), 3.4)
    ax = axes[0, 0]
    hatches = ("", "//", "..", "xx")
    for m, (name, a) in enumerate(values.items()):
        x = np.arange(C) - 0.4 + width * (m + 0.5)
        bars = ax.bar(x, a, width=width * 0.95, color=PALETTE[m], hatch=hatches[m % 4], label=name)
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=7)
    ax.set_xticks(np.arange(C), list(categories))
    ax.set(ylim=(0, 1.12), ylabel=ylabel)
    ax.set_yticks(np.linspace(0, 1, 6))
    if xlabel:
        ax.set_xlabel(xlabel)
    fig.legend(loc="outside lower center", ncols=M, frameon=False)
    return fig


# ---------------------------------------------------------------------------
# Training in practice: truncated BPTT, temperatures, truncated sampling, overfitting (chapter 7)
# ---------------------------------------------------------------------------


def plot_stream_chunks(rows: Sequence[str], chunk_length: int) -> Figure:
    """How truncated BPTT reads a long text: N streams side by side, cut into chunks of k steps.

    Each row is one stream, drawn as its characters in boxes (a space as "␣", a line
    break as "↵"). All rows' chunk j are the inputs of update j and share a colour;
    at every chunk boundary an arrow marks the hidden state carried into the next
    chunk, and a dashed line the point where backpropagation stops. Characters in
    no chunk (the last one of each row is only a target) are grey.

    Parameters
    ----------
    rows : sequence
        N strings of the same length S, e.g. the decoded rows of ``text_streams``
    chunk_length : int
        k

    Returns
    -------
    fig : Figure
        with one Axes; every character box has the gid ``"char:n,t"`` and every
        carried-state arrow ``"carry:n,j"`` (row n, boundary after chunk j)
    """
    if isinstance(rows, str) or not isinstance(rows, Sequence) or not rows or not all(isinstance(r, str) for r in rows):
        raise TypeError(f"rows must be a non-empty list of str (one per stream); got {_describe(rows)}")
    S = len(rows[0])
    if any(len(r) != S for r in rows):
        raise ValueError(f"every row must have the length of row 0 ({S}); got lengths {[len(r) for r in rows]}")
    if isinstance(chunk_length, bool) or not isinstance(chunk_length, (int, np.integer)) or chunk_length < 1:
        raise ValueError(f"chunk_length must be a positive int; got {_describe(chunk_length)}")
    k = int(chunk_length)
    chunks = (S - 1) // k
    if chunks < 1:
        raise ValueError(f"rows of length {S} hold no whole chunk of {k} inputs plus a target; shorten chunk_length")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    N = len(rows)
    fig, axes = _figure(max(6.0, 0.32 * S + 1.6), 0.62 * N + 1.3)
    ax = axes[0, 0]
    shown = {" ": "␣", "\n": "↵", "\t": "⇥"}
    for n, row in enumerate(rows):
        y = N - 1 - n
        for t, ch in enumerate(row):
            j = t // k
            inside = j < chunks
            colour = PALETTE[j % 3 + 1] if inside else "#DDDDDD"
            alpha = 0.45 if inside else 1.0
            box = Rectangle((t + 0.06, y + 0.12), 0.88, 0.76, facecolor=colour, alpha=alpha, edgecolor="none")
            box.set_gid(f"char:{n},{t}")
            ax.add_patch(box)
            ax.text(t + 0.5, y + 0.5, shown.get(ch, ch), ha="center", va="center", fontsize=10, family="monospace")
        ax.text(-0.3, y + 0.5, f"stream {n + 1}", ha="right", va="center", fontsize=9)
        for j in range(1, chunks + 1):
            b = j * k
            if j < chunks:
                ax.annotate(
                    "", xy=(b + 0.35, y + 0.5), xytext=(b - 0.35, y + 0.5),
                    arrowprops={"arrowstyle": "-|>", "color": OKABE_ITO["vermillion"], "lw": 1.6},
                    gid=f"carry:{n},{j}",
                )  # fmt: skip
    for j in range(1, chunks + 1):
        ax.axvline(j * k, color=OKABE_ITO["black"], lw=1.2, ls="--")
    for j in range(chunks):
        ax.text(j * k + k / 2, N + 0.15, f"update {j + 1}", ha="center", va="bottom", fontsize=9)
    ax.set(xlim=(-3.2, S + 0.2), ylim=(-0.1, N + 0.7))
    ax.set_axis_off()
    handles = [
        Patch(color=PALETTE[1], alpha=0.45, label=f"one chunk: N x k = {N} x {k} inputs of one update"),
        Patch(color="#DDDDDD", label="in no chunk (only a target)"),
        Line2D([], [], color=OKABE_ITO["vermillion"], marker=">", lw=1.6, label="hidden state carried forward"),
        Line2D([], [], color=OKABE_ITO["black"], ls="--", lw=1.2, label="backpropagation stops here"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    return fig


def plot_distributions(
    labels: Sequence[str], probabilities: Mapping[str, NDArray[np.floating]], top: int = 12
) -> Figure:
    """Several probability distributions over the same outcomes, as grouped bars of the likeliest ones.

    The outcomes are ordered by the first distribution, most likely first, and the
    ``top`` likeliest are shown; a space is shown as "␣" and a line break as "↵".

    Parameters
    ----------
    labels : sequence
        the V outcome names (e.g. characters)
    probabilities : Mapping[str, ndarray]
        name (e.g. "T = 0.5") -> ndarray of shape (V,) summing to 1
    top : int
        how many outcomes to show

    Returns
    -------
    fig : Figure
        with one Axes; the bars of distribution m are in colour m with their
        own hatch, and the legend gives each distribution's perplexity exp(entropy)
    """
    V = len(labels)
    if isinstance(labels, str) or V == 0:
        raise TypeError(f"labels must be a non-empty list of str; got {_describe(labels)}")
    if not isinstance(probabilities, Mapping) or not probabilities:
        raise TypeError(f"probabilities must be a non-empty dict of name -> array; got {_describe(probabilities)}")
    dists = {}
    for name, p in probabilities.items():
        p = as_float_array(f"probabilities[{name!r}]", p)
        if p.shape != (V,):
            raise ValueError(f"probabilities[{name!r}] must have shape (V,) = ({V},); got {p.shape}")
        if (p < 0).any() or abs(p.sum() - 1) > 1e-6:
            raise ValueError(f"probabilities[{name!r}] must be non-negative and sum to 1; got sum {p.sum():.6g}")
        dists[name] = p
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive int; got {_describe(top)}")
    first = next(iter(dists.values()))
    order = np.argsort(-first, kind="stable")[: min(int(top), V)]
    shown = {" ": "␣", "\n": "↵", "\t": "⇥"}
    M = len(dists)
    width = 0.8 / M
    fig, axes = _figure(max(6.0, 0.45 * len(order) * max(M, 2) / 2 + 1.5), 3.3)
    ax = axes[0, 0]
    hatches = ("", "//", "..", "xx")
    for m, (name, p) in enumerate(dists.items()):
        nz = p[p > 0]
        ppl = float(np.exp(-(nz * np.log(nz)).sum()))
        x = np.arange(len(order)) - 0.4 + width * (m + 0.5)
        ax.bar(x, p[order], width=width * 0.95, color=PALETTE[m % len(PALETTE)], hatch=hatches[m % 4],
               label=f"{name} (perplexity {ppl:.1f})")  # fmt: skip
    ax.set_xticks(np.arange(len(order)), [shown.get(labels[i], labels[i]) for i in order], fontsize=11)
    ax.set(ylabel="probability", ylim=(0, None))
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_next_character(
    probabilities: Mapping[str, NDArray[np.floating]], vocab: Vocabulary, prime: str, top: int = 12
) -> Figure:
    """A character model's distributions of the character after ``prime`` (e.g. at several temperatures).

    Parameters
    ----------
    probabilities : Mapping[str, ndarray]
        name (e.g. "τ = 0.5") -> ndarray of shape (V,), a distribution over the vocabulary
        as :func:`rnnlib.charlm.next_character_probabilities` returns it; ``<pad>`` and
        ``<unk>`` (ids 0 and 1) are left out of the figure
    vocab : Vocabulary
        the model's characters
    prime : str
        the text the model has read, for the title
    top : int
        how many characters to show, the likeliest under the first distribution

    Returns
    -------
    fig : Figure
        from :func:`plot_distributions`, titled with the prime
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an rnnlib.Vocabulary of characters; got {_describe(vocab)}")
    if not isinstance(probabilities, Mapping) or not probabilities:
        raise TypeError(
            f"probabilities must be a non-empty dict of name -> array of shape (V,); got {_describe(probabilities)}"
        )
    V = len(vocab)
    probs = {}
    for name, p in probabilities.items():
        p = as_float_array(f"probabilities[{name!r}]", p)
        if p.shape != (V,):
            raise ValueError(f"probabilities[{name!r}] must have shape (V,) = ({V},) like vocab; got {p.shape}")
        probs[name] = p[2:]
    fig = plot_distributions(vocab.id_to_token[2:], probs, top=top)
    fig.axes[0].set_title(f"next character after {prime!r}", fontsize=10)
    return fig


def plot_truncation(
    probs: NDArray[np.floating], filtered: Mapping[str, NDArray[np.floating]], vocab: Vocabulary, top: int = 30
) -> Figure:
    """What sampling rules keep of one next-character distribution, one panel per rule.

    Each panel shows the ``top`` likeliest characters of ``probs`` (most likely
    first) as light outlined bars, and on top of them, in colour, the distribution
    a rule actually samples from (e.g. a lower temperature, top-k, nucleus); a
    character the rule cuts keeps only its outline.  The panel's title says how many
    characters the rule keeps and what share of the original probability they held.

    Parameters
    ----------
    probs : ndarray of shape (V,)
        the model's own distribution (temperature 1)
    filtered : Mapping[str, ndarray]
        panel title -> ndarray of shape (V,), the distribution the rule samples from
    vocab : Vocabulary
        the character vocabulary, for the tick labels
    top : int
        how many of the likeliest characters to show; choose it larger than the
        biggest set a rule keeps, so that the cut tail shows

    Returns
    -------
    fig : Figure
        with one Axes per entry of ``filtered``, stacked one above the other and
        sharing both axes
    """
    p = check_probabilities(probs)
    if p.ndim != 1 or not isinstance(vocab, Vocabulary) or len(vocab) != p.size:
        raise ValueError(f"probs must have shape (V,) with V = len(vocab); got {p.shape}")
    if not isinstance(filtered, Mapping) or not filtered:
        raise TypeError(f"filtered must be a non-empty dict of title -> distribution; got {_describe(filtered)}")
    dists = {name: check_probabilities(q) for name, q in filtered.items()}
    order = np.argsort(-p, kind="stable")[: positive_int("top", top)]
    shown = {" ": "␣", "\n": "↵", "\t": "⇥"}
    labels = [shown.get(vocab.id_to_token[i], vocab.id_to_token[i]) for i in order]
    x = np.arange(len(order))
    # one row per rule, so that each bar keeps room for its tick label however many are shown
    width = min(max(4.0, 0.22 * len(order) + 1.2), 9.0)
    fig, axes = _figure(width, 1.9 * len(dists) + 0.4, nrows=len(dists), sharex=True, sharey=True)
    for m, (ax, (name, q)) in enumerate(zip(axes[:, 0], dists.items(), strict=True)):
        kept = q > 0
        ax.bar(x, p[order], width=0.8, facecolor="none", edgecolor="0.55", lw=0.8, label="model, τ = 1")
        ax.bar(x, q[order], width=0.55, color=PALETTE[(m + 1) % len(PALETTE)], label="sampled from")
        ax.set_xticks(x, labels, fontsize=9)
        ax.tick_params(axis="x", labelbottom=True)
        ax.set_title(f"{name}: keeps {kept.sum()} of {p.size}, {p[kept].sum():.0%} of the mass", fontsize=9)
        ax.set_ylabel("probability", fontsize=9)
    axes[0, 0].legend(frameon=False, fontsize=8, loc="upper right")
    return fig


def plot_overfitting(
    runs: Mapping[str, Sequence[Mapping[str, NDArray[Any]]]],
    reference: Mapping[str, float] | None = None,
    smooth: int = 20,
) -> Figure:
    """Training against validation loss over updates (left), and the validation loss of several runs (right).

    Parameters
    ----------
    runs : Mapping[str, list]
        name -> list of training logs with validation measurements (one per seed), e.g. of
        :func:`rnnlib.training.train_tbptt` with ``validation``; the first entry is drawn on
        the left: each seed's training loss as the mean of the last ``smooth`` updates
        (:func:`rnnlib.metrics.running_mean`), and its validation loss
    reference : Mapping[str, float] | None
        label -> a loss drawn on both panels as in :func:`plot_curves`
    smooth : int
        window of the mean of the training loss

    Returns
    -------
    fig : Figure
        two Axes; on the right, each run's median validation loss over its seeds
        (the thin band spans the lowest and highest seed), with a dot at the
        update where the median is lowest
    """
    if not isinstance(runs, Mapping) or not runs or not all(isinstance(v, list) and v for v in runs.values()):
        raise TypeError(f"runs must be a non-empty dict of name -> list of training logs; got {_describe(runs)}")
    for name, logs in runs.items():
        if not all(isinstance(g, Mapping) and "val_loss" in g for g in logs):
            raise ValueError(f"runs[{name!r}] must hold training logs with validation measurements (val_loss)")
    w = positive_int("smooth", smooth)
    levels = _reference_levels(reference)
    fig, axes = _figure(10, 3.6, ncols=2)
    left, right = axes[0]
    first, logs = next(iter(runs.items()))
    for i, g in enumerate(logs):
        loss = g["loss"]
        kw = {"label": f"training (mean of last {w})"} if i == 0 else {}
        left.plot(np.arange(1, len(loss) + 1), running_mean(loss, w), color=PALETTE[0], lw=1, alpha=0.8, **kw)
        kw = {"label": "validation"} if i == 0 else {}
        left.plot(g["val_step"], g["val_loss"], color=PALETTE[1], lw=1.2, marker=".", ms=3, **kw)
    left.set(title=f"{first}: {len(logs)} seeds", xlabel="update", ylabel="loss (nats per character)")
    for m, (name, logs) in enumerate(runs.items()):
        steps = logs[0]["val_step"]
        vals = np.array([g["val_loss"] for g in logs])
        med = np.median(vals, axis=0)
        colour = PALETTE[m % len(PALETTE)]
        right.fill_between(steps, vals.min(axis=0), vals.max(axis=0), color=colour, alpha=0.15, lw=0)
        right.plot(steps, med, color=colour, lw=1.5, ls=_LINESTYLES[m % len(_LINESTYLES)], label=name)
        b = int(np.argmin(med))
        right.plot(steps[b], med[b], "o", color=colour, ms=5)
    right.set(title="validation loss, median of the seeds", xlabel="update")
    _reference_lines(left, levels)
    _reference_lines(right, levels)
    low = min(min(g["val_loss"].min() for g in v) for v in runs.values())
    right.set_ylim(low - 0.1, low + 0.6)
    for ax in (left, right):
        ax.legend(frameon=False, fontsize=8)
    return fig


# ---------------------------------------------------------------------------
# Gated cells: the flow of the gradient, and a memory cell at work (chapter 6)
# ---------------------------------------------------------------------------


def plot_memory_trace(
    values: NDArray[np.floating],
    marked: NDArray[np.bool_] | Sequence[bool],
    panels: Mapping[str, Mapping[str, NDArray[np.floating]]],
    value_label: str = "input $u_t$",
) -> Figure:
    """One sequence read by a gated cell: the inputs on top, then the cell's inner values step by step.

    The marked steps (the ones worth remembering) are shaded in every panel, so that you can
    see what the gates do when they arrive and what the memory does in between.

    Parameters
    ----------
    values : ndarray of shape (T,)
        the input numbers, drawn as bars
    marked : boolean ndarray of shape (T,)
        True at the steps to shade
    panels : Mapping[str, Mapping[str, ndarray]]
        y-axis label -> {trace label -> ndarray of shape (T,)}, one panel per entry,
        e.g. {"gate value": {"input gate $i_t$": ..., "forget gate $f_t$": ...}, "cell state": {"$c_t$": ...}}
    value_label : str
        y-axis label of the input panel

    Returns
    -------
    fig : Figure
        with 1 + len(panels) Axes sharing the step axis t = 1..T; the input panel has
        gid "inputs" and the others the gid of their label
    """
    u = _vector("values", values)
    T = u.size
    m = np.asarray(marked)
    if m.shape != (T,) or not (m.dtype == bool or np.isin(m, (0, 1)).all()):
        raise ValueError(f"marked must be a boolean array of shape (T,) = ({T},) like values; got {_describe(marked)}")
    m = m.astype(bool)
    if not isinstance(panels, Mapping) or len(panels) == 0:
        raise TypeError(f"panels must be a non-empty dict of label -> dict of traces; got {_describe(panels)}")
    fig, axes = _figure(8, 1.6 + 1.5 * len(panels), nrows=1 + len(panels), sharex=True)
    t = np.arange(1, T + 1)
    top = axes[0, 0]
    top.set_gid("inputs")
    top.bar(t[~m], u[~m], width=0.7, color=OKABE_ITO["sky_blue"], label="unmarked")
    top.bar(t[m], u[m], width=0.7, color=PALETTE[1], hatch="//", edgecolor=OKABE_ITO["black"], lw=0.5, label="marked")
    top.set_ylabel(value_label)
    top.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    for ax in axes[:, 0]:
        for s in t[m]:
            ax.axvspan(s - 0.5, s + 0.5, color=PALETTE[1], alpha=0.15, lw=0)
    for ax, (label, traces) in zip(axes[1:, 0], panels.items()):
        if not isinstance(traces, Mapping) or len(traces) == 0:
            raise TypeError(
                f"panels[{label!r}] must be a non-empty dict of trace label -> array; got {_describe(traces)}"
            )
        ax.set_gid(label)
        for i, (name, y) in enumerate(traces.items()):
            y = as_float_array(f"panels[{label!r}][{name!r}]", y)
            if y.shape != (T,):
                raise ValueError(f"panels[{label!r}][{name!r}] must have shape (T,) = ({T},); got {y.shape}")
            style = {"color": PALETTE[(i * 2) % len(PALETTE)], "ls": _LINESTYLES[i % len(_LINESTYLES)]}
            ax.plot(t, y, lw=1.8, marker=_CURVE_MARKERS[i % len(_CURVE_MARKERS)], ms=3, label=name, **style)
        ax.set_ylabel(label)
        ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    axes[-1, 0].set_xlabel("step $t$")
    return fig


def plot_gradient_flow(
    flows: Mapping[str, Mapping[str, NDArray[np.floating]]],
    ylabel: str = r"$\|\partial L / \partial h_t\| \;/\; \|\partial L / \partial h_T\|$",
) -> Figure:
    """How much gradient reaches each step, for several models on one log axis: one colour per model,
    one line style per stage (e.g. before and after training).

    Parameters
    ----------
    flows : Mapping[str, Mapping[str, ndarray]]
        model name -> {stage name -> ndarray of shape (T,) of positive values}, e.g.
        ``{"LSTM": {"at initialisation": r0, "after training": r1}}``; the first stage is drawn
        solid, the second dashed, then dotted; every model must have the same T
    ylabel : str
        the quantity plotted

    Returns
    -------
    fig : Figure
        with one Axes (log scale) and one line per model and stage, labelled
        "model, stage"; x is the step t = 1..T
    """
    if not isinstance(flows, Mapping) or not flows:
        raise TypeError(f"flows must be a non-empty dict of model name -> dict of curves; got {_describe(flows)}")
    fig, axes = _figure(8, 3.6)
    ax = axes[0, 0]
    T = None
    for i, (model, stages) in enumerate(flows.items()):
        if not isinstance(stages, Mapping) or not stages:
            raise TypeError(
                f"flows[{model!r}] must be a non-empty dict of stage name -> array; got {_describe(stages)}"
            )
        for j, (stage, values) in enumerate(stages.items()):
            y = _vector(f"flows[{model!r}][{stage!r}]", values)
            if T is not None and y.size != T:
                raise ValueError(
                    f"flows[{model!r}][{stage!r}] must have shape (T,) = ({T},) like the others; got {y.shape}"
                )
            T = y.size
            if (y <= 0).any():
                raise ValueError(f"flows[{model!r}][{stage!r}] must be positive to be drawn on a log scale")
            style = {"color": PALETTE[i % len(PALETTE)], "ls": _LINESTYLES[j % len(_LINESTYLES)]}
            ax.plot(np.arange(1, T + 1), y, lw=2, label=f"{model}, {stage}", **style)
    ax.set_yscale("log")
    ax.set(xlabel="step $t$", ylabel=ylabel)
    fig.legend(loc="outside right center", frameon=False, fontsize=9)
    return fig


# ---------------------------------------------------------------------------
# Attention (chapter 8)
# ---------------------------------------------------------------------------


def plot_attention(
    weights: NDArray[np.floating],
    source_tokens: Sequence[str],
    output_tokens: Sequence[str],
    title: str | None = None,
    annotate: bool = True,
) -> Figure:
    """An attention heat map: one row per output token, one column per source token.

    Cell (t, j) is the weight alpha_tj that output step t gave to source position j,
    drawn in :data:`SEQUENTIAL_CMAP` on a fixed 0-to-1 scale (dark: no attention,
    bright: all of it), so maps of different sentences compare directly.

    Parameters
    ----------
    weights : ndarray of shape (T, S)
        each row a distribution over the S source positions
    source_tokens : sequence
        the S source tokens, labelling the columns
    output_tokens : sequence
        the T output tokens, labelling the rows
    title : str | None
        optional title
    annotate : bool
        write each weight of at least 0.1 in its cell, to one decimal

    Returns
    -------
    fig : Figure
        with the heat map Axes (gid "attention") and a colour bar
    """
    w = as_float_array("weights", weights)
    if w.ndim != 2 or 0 in w.shape:
        raise ValueError(f"weights must have shape (T, S) with T, S >= 1; got {w.shape}")
    if (w < 0).any() or (w > 1 + 1e-9).any():
        raise ValueError(f"weights must lie in [0, 1]; got values from {w.min():.3g} to {w.max():.3g}")
    T, S = w.shape
    for name, toks, n, axis in (("source_tokens", source_tokens, S, "S"), ("output_tokens", output_tokens, T, "T")):
        if isinstance(toks, str) or not all(isinstance(s, str) for s in toks):
            raise TypeError(f"{name} must be a list of str; got {_describe(toks)}")
        if len(toks) != n:
            raise ValueError(f"{name} must hold {axis} = {n} tokens like weights {w.shape}; got {len(toks)}")
    fig, axes = _figure(max(3.5, 0.45 * S + 2.0), max(2.5, 0.36 * T + 1.3))
    ax = axes[0, 0]
    ax.set_gid("attention")
    image = ax.imshow(w, cmap=SEQUENTIAL_CMAP, vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    ax.set_xticks(np.arange(S), list(source_tokens), rotation=45, ha="right")
    ax.set_yticks(np.arange(T), list(output_tokens))
    ax.set(xlabel="source token (key)", ylabel="output token (query)")
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    if annotate:
        for t, j in zip(*np.nonzero(w >= 0.1)):
            colour = "black" if w[t, j] > 0.6 else "white"  # readable on the bright and the dark end
            ax.text(j, t, f"{w[t, j]:.1f}", ha="center", va="center", fontsize=7, color=colour)
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, label="attention weight", shrink=0.9)
    return fig
