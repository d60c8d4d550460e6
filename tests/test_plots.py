"""Plotting functions: they return a Figure holding the data given, in the palette, and leak nothing."""

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from rnnlib.plots import (
    OKABE_ITO,
    PALETTE,
    plot_encodings,
    plot_length_histogram,
    plot_padding,
    plot_probabilities,
    plot_series,
    plot_waveform,
)


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_palette_is_okabe_ito():
    assert len(OKABE_ITO) == 8
    assert OKABE_ITO["blue"] == "#0072B2" and OKABE_ITO["orange"] == "#E69F00"
    assert set(PALETTE) <= set(OKABE_ITO.values())
    assert len(set(PALETTE)) == len(PALETTE)


def test_plot_series_draws_the_data():
    t = np.arange("2000-01", "2001-01", dtype="datetime64[M]")
    y = np.linspace(20.0, 25.0, 12)
    fig = plot_series(t, y, ylabel="SST (°C)", highlight=[(t[2], t[4], "event")], title="A")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), y)
    assert to_hex(line.get_color()).upper() == PALETTE[0]
    assert ax.get_ylabel() == "SST (°C)" and ax.get_title() == "A"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["event"]
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_plot_series_errors():
    with pytest.raises(ValueError, match=r"times must have shape \(T,\) = \(3,\) like values; got \(4,\)"):
        plot_series(np.arange(4), np.zeros(3), ylabel="y")
    with pytest.raises(TypeError, match="values must be a floating-point array"):
        plot_series(np.arange(3), np.arange(3), ylabel="y")
    with pytest.raises(ValueError, match=r"values must have shape \(T,\) with T >= 1; got \(2, 2\)"):
        plot_series(np.arange(4), np.zeros((2, 2)), ylabel="y")


def test_plot_waveform_zoom_panel_holds_the_zoomed_samples():
    t = np.arange(100) / 100
    s = np.sin(2 * np.pi * 3 * t)
    fig = plot_waveform(t, s, zoom=(0.2, 0.3))
    assert len(fig.axes) == 2
    whole, zoom = (ax.get_lines()[0] for ax in fig.axes)
    np.testing.assert_array_equal(whole.get_ydata(), s)
    np.testing.assert_allclose(zoom.get_xdata(), 1000 * t[20:31])  # milliseconds
    assert fig.axes[1].get_xlabel() == "time (ms)"
    default = plot_waveform(t, s)
    assert len(default.axes[1].get_lines()[0].get_xdata()) == 4  # 30 ms from the middle: t = 0.50..0.53


def test_plot_waveform_errors():
    t = np.arange(10) / 10
    with pytest.raises(ValueError, match="zoom must be \\(start, end\\) seconds with start < end"):
        plot_waveform(t, np.zeros(10), zoom=(0.5, 0.2))
    with pytest.raises(ValueError, match="zoom must overlap the signal's times"):
        plot_waveform(t, np.zeros(10), zoom=(5.0, 6.0))
    with pytest.raises(ValueError, match=r"times must have shape \(T,\) = \(10,\) like signal; got \(9,\)"):
        plot_waveform(t[:9], np.zeros(10))


def test_plot_length_histogram_counts_every_length():
    L = np.array([1, 2, 2, 3, 3, 3, 7])
    fig = plot_length_histogram(L, marks={"mean": L.mean(), "longest": 7})
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [1, 2, 3, 0, 0, 0, 1]  # one bar per length from 1 to 7
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mean", "longest"]
    assert ax.get_xlabel() == "length (tokens)"
    with pytest.raises(TypeError, match=r"lengths must be a 1-D array of shape \(N,\) of ints"):
        plot_length_histogram([1.5, 2.0])


def test_plot_padding_titles_report_the_waste():
    L = np.array([3, 1, 4, 1])
    fig = plot_padding(L, {"one batch": [np.arange(4)], "pairs": [np.array([1, 3]), np.array([0, 2])]})
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().endswith("padding: 44% of all steps")  # 1 - 9/16
    assert fig.axes[1].get_title().endswith("padding: 10% of all steps")  # 1 - 9/10
    real = [p for p in fig.axes[0].patches if to_hex(p.get_facecolor()).upper() == PALETTE[0]]
    assert sorted(p.get_width() for p in real) == [1, 1, 3, 4]
    with pytest.raises(TypeError, match="batchings must be a non-empty dict"):
        plot_padding(L, {})


def test_plot_encodings_shapes_and_errors():
    X = np.eye(5)[[2, 3, 4]]
    E = np.arange(6.0).reshape(3, 2) - 2
    fig = plot_encodings(["not", "good", "!"], X, E, ["<pad>", "<unk>", "not", "good", "!"])
    assert len(fig.axes) == 3  # two panels and a colour bar
    assert "(3, 5)" in fig.axes[0].get_title() and "(3, 2)" in fig.axes[1].get_title()
    np.testing.assert_array_equal(fig.axes[0].get_images()[0].get_array(), X)
    with pytest.raises(ValueError, match=r"one_hot_rows must have shape \(T, V\) with T=2 tokens; got \(3, 5\)"):
        plot_encodings(["a", "b"], X, E, list("abcde"))
    with pytest.raises(ValueError, match="vocabulary must hold V=5 tokens"):
        plot_encodings(["a", "b", "c"], X, E, list("abc"))
    with pytest.raises(ValueError, match=r"embedded_rows must have shape \(T, D\) with T=3 tokens; got \(2,\)"):
        plot_encodings(["a", "b", "c"], X, np.zeros(2), list("abcde"))


def test_plot_probabilities_bars_and_errors():
    p = {"bag of words": np.array([0.6, 0.6]), "RNN": np.array([0.01, 0.99])}
    fig = plot_probabilities(["not good, actually bad", "not bad, actually good"], p, targets=[0, 1])
    ax = fig.axes[0]
    widths = [b.get_width() for b in ax.patches]
    assert widths == [0.6, 0.6, 0.01, 0.99]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "not good, actually bad  (-)",
        "not bad, actually good  (+)",
    ]
    with pytest.raises(ValueError, match=r"probabilities\['RNN'\] must have shape \(P,\) = \(2,\); got \(3,\)"):
        plot_probabilities(["a", "b"], {"RNN": np.zeros(3)})
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        plot_probabilities(["a"], {"RNN": np.array([1.5])})
    with pytest.raises(ValueError, match="targets must hold one label per phrase"):
        plot_probabilities(["a"], {"RNN": np.array([0.5])}, targets=[0, 1])
    with pytest.raises(ValueError, match="phrases must hold at least one phrase"):
        plot_probabilities([], {"RNN": np.array([])})


def test_no_pyplot_figures_are_left_open():
    plt.close("all")
    plot_series(np.arange(3), np.zeros(3), ylabel="y")
    plot_length_histogram([1, 2])
    assert plt.get_fignums() == []


# ---------------------------------------------------------------------------
# Curves plus reference lines: plot_curves and plot_training_log
# ---------------------------------------------------------------------------


def test_plot_curves_draws_each_curve_distinguishably():
    from rnnlib.plots import plot_curves

    x = np.array([10, 20, 40])
    fig = plot_curves({"full": np.array([1.0, 2.0, 4.0]), "chunked": np.array([1.0, 1.0, 1.0])}, "T", "bytes", x=x)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["full", "chunked"]
    np.testing.assert_array_equal(lines[0].get_xdata(), x)
    np.testing.assert_array_equal(lines[0].get_ydata(), [1.0, 2.0, 4.0])
    assert to_hex(lines[0].get_color()).upper() == PALETTE[0] and to_hex(lines[1].get_color()).upper() == PALETTE[1]
    assert lines[0].get_linestyle() != lines[1].get_linestyle() and lines[0].get_marker() != lines[1].get_marker()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("T", "bytes") and ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["full", "chunked"]
    single = plot_curves({"only": np.array([0.1, 0.01])}, "k", "error", x=[1, 2], logy=True, markers=False, title="t")
    assert single.axes[0].get_legend() is None and single.axes[0].get_yscale() == "log"
    assert single.axes[0].get_lines()[0].get_marker() in ("None", None, "")
    assert single.axes[0].get_title() == "t"
    assert png_bytes(fig).startswith(b"\x89PNG")
    assert plt.get_fignums() == []


def test_plot_curves_without_x_draws_each_run_against_its_own_updates():
    from rnnlib.plots import plot_curves

    fig = plot_curves({"RNN": [0.7, 0.4, 0.1], "bag of words": np.array([0.69, 0.6])}, "epoch", "loss", ylim=(0, None))
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.lines}
    np.testing.assert_array_equal(lines["RNN"].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines["bag of words"].get_xdata(), [1, 2])
    assert ax.get_ylim()[0] == 0
    assert all(float(t).is_integer() for t in ax.get_xticks())  # epochs are whole numbers


def test_plot_curves_references_are_black_dotted_then_dash_dotted_then_dashed():
    from rnnlib.plots import plot_curves

    y = np.array([3.0, 2.0, 1.0])
    fig = plot_curves({"a": y, "b": y + 1}, "x", "y", reference={"p": 1.5, "q": 2.5, "r": 0.5})
    ax = fig.axes[0]
    refs = [ln for ln in ax.lines if ln.get_gid() == "reference"]
    assert [ln.get_label() for ln in refs] == ["p", "q", "r"]
    assert [ln.get_linestyle() for ln in refs] == [":", "-.", "--"]
    assert all(to_hex(ln.get_color()) == "#000000" and ln.get_linewidth() == 1 for ln in refs)
    np.testing.assert_array_equal(refs[0].get_ydata(), [1.5, 1.5])
    assert [ln.get_gid() for ln in ax.lines] == ["curve", "curve", "reference", "reference", "reference"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "p", "q", "r"]


def test_plot_curves_panels_smoothing_peaks_and_a_run_that_looks_the_same_everywhere():
    from rnnlib.plots import plot_curves

    runs = {"a": np.array([3.0, 2.0, 1.0]), "b": np.array([3.0, 1.0, 1.0])}
    fig = plot_curves(
        {"init": runs, "optimiser": {"c": np.array([1.0, 50.0, 3.0]), "a": runs["a"]}},
        "update",
        "loss",
        smooth=3,
        ylim=(0.5, 4),
        reference={"uniform": 2.5},
    )
    axes = {ax.get_gid(): ax for ax in fig.axes}
    assert list(axes) == ["init", "optimiser"] and [ax.get_title() for ax in fig.axes] == ["init", "optimiser"]
    curves = {t: {ln.get_label(): ln for ln in ax.lines if ln.get_gid() == "curve"} for t, ax in axes.items()}
    np.testing.assert_allclose(curves["init"]["a"].get_ydata(), [3.0, 2.5, 2.0])  # the mean of the last 3
    np.testing.assert_allclose(curves["optimiser"]["c"].get_ydata(), [1.0, 25.5, 18.0])
    assert fig.axes[0].get_ylabel() == "loss\n(mean of last 3)" and fig.axes[1].get_ylim() == (0.5, 4.0)
    a1, a2, c = curves["init"]["a"], curves["optimiser"]["a"], curves["optimiser"]["c"]
    assert to_hex(a1.get_color()) == to_hex(a2.get_color()) and a1.get_linestyle() == a2.get_linestyle()
    assert len({to_hex(ln.get_color()) for ln in (a1, curves["init"]["b"], c)}) == 3
    peaks = [t for t in axes["optimiser"].texts if t.get_gid() == "peak:c"]
    assert len(peaks) == 1 and peaks[0].get_text() == "peak 25.5"
    assert not [t for t in axes["init"].texts if str(t.get_gid()).startswith("peak:")]
    assert all(len([ln for ln in ax.lines if ln.get_gid() == "reference"]) == 1 for ax in fig.axes)
    png_bytes(fig)


def test_plot_curves_per_panel_log_axes_references_and_a_symlog_x():
    from rnnlib.plots import plot_curves

    updates = np.array([0, 1, 5, 50])
    panels = {
        "MSE": {"T = 10": np.array([1.0, 0.5, 0.2, 0.01]), "T = 80": np.array([2.0, 0.3, 0.17, 0.17])},
        "ratio": {"T = 10": np.array([0.2, 0.3, 0.5, 0.9]), "T = 80": np.array([0.6, 1e-3, 1e-9, 1e-11])},
    }
    fig = plot_curves(
        panels, "updates", "", x=updates, logy=["ratio"], xscale="symlog", reference={"MSE": {"baseline": 1 / 6}}
    )
    axes = {ax.get_gid(): ax for ax in fig.axes}
    assert axes["MSE"].get_xscale() == axes["ratio"].get_xscale() == "symlog"
    assert axes["MSE"].get_xlim() == (0, 60)  # from the first update to a little beyond the last
    assert axes["MSE"].get_yscale() == "linear" and axes["ratio"].get_yscale() == "log"
    assert len(axes["MSE"].lines) == 3 and len(axes["ratio"].lines) == 2  # two runs, one reference
    np.testing.assert_array_equal(axes["ratio"].lines[1].get_xdata(), updates)
    np.testing.assert_allclose(axes["MSE"].lines[2].get_ydata(), [1 / 6, 1 / 6])
    outside = plot_curves({"a": np.ones(3), "b": np.ones(3)}, "x", "y", legend_outside=True)
    assert outside.axes[0].get_legend() is None and [t.get_text() for t in outside.legends[0].get_texts()] == ["a", "b"]


def test_plot_curves_errors():
    from rnnlib.plots import plot_curves

    y = np.ones(2)
    with pytest.raises(TypeError, match="curves must be a non-empty dict"):
        plot_curves({}, "x", "y")
    with pytest.raises(TypeError, match="curves must map every name to an array"):
        plot_curves({"a": y, "panel": {"b": y}}, "x", "y")
    with pytest.raises(ValueError, match=r"curves\['a'\] must have shape \(K,\) = \(2,\) like x; got \(3,\)"):
        plot_curves({"a": np.zeros(3)}, "x", "y", x=[1, 2])
    with pytest.raises(ValueError, match=r"curves\['p'\]\['a'\] must have shape \(T,\) with T >= 1; got \(0,\)"):
        plot_curves({"p": {"a": []}}, "x", "y")
    with pytest.raises(ValueError, match=r"curves\['a'\] must be positive on a log axis"):
        plot_curves({"a": np.array([1.0, 0.0])}, "x", "y", logy=True)
    with pytest.raises(ValueError, match=r"curves\['a'\] must be finite; got nan"):
        plot_curves({"a": np.array([1.0, np.nan])}, "x", "y")
    with pytest.raises(
        ValueError, match=r"logy must be True, False or, with panels, a list of panel titles among \[\]"
    ):
        plot_curves({"a": y}, "x", "y", logy=["a"])
    with pytest.raises(ValueError, match=r"reference\['nan'\] must be a finite number"):
        plot_curves({"a": y}, "x", "y", reference={"nan": float("nan")})
    with pytest.raises(ValueError, match=r"reference\['b'\] must be a finite number \(positive when logy=True\)"):
        plot_curves({"a": y}, "x", "y", logy=True, reference={"b": 0.0})
    with pytest.raises(TypeError, match="reference must be a dict of label -> level"):
        plot_curves({"a": y}, "x", "y", reference=[1.0])
    with pytest.raises(ValueError, match=r"reference must be keyed by levels' labels or by panel titles among \['p'\]"):
        plot_curves({"p": {"a": y}}, "x", "y", reference={"q": {"b": 1.0}})
    with pytest.raises(ValueError, match=r"ylim must be \(bottom, top\) with bottom < top"):
        plot_curves({"a": y}, "x", "y", ylim=(2, 1))
    with pytest.raises(ValueError, match="smooth must be a positive int; got 0"):
        plot_curves({"a": y}, "x", "y", smooth=0)
    with pytest.raises(TypeError, match="smooth must be a positive int; got float 1.5"):  # the shared check
        plot_curves({"a": y}, "x", "y", smooth=1.5)
    with pytest.raises(TypeError, match=r"ylim must be a pair \(bottom, top\) of numbers or None; got str"):
        plot_curves({"a": y}, "x", "y", ylim="0 5")
    with pytest.raises(TypeError, match=r"ylim's top must be a number or None; got str '5'"):
        plot_curves({"a": y}, "x", "y", ylim=(0, "5"))
    with pytest.raises(
        ValueError, match=r"ylim must be \(bottom, top\) with bottom < top \(either may be None\); got \(5, 0\)"
    ):
        plot_curves({"a": y}, "x", "y", ylim=[5, 0])
    with pytest.raises(ValueError, match=r"xscale must be one of \['linear', 'log', 'symlog'\]; got 'loglog'"):
        plot_curves({"a": y}, "x", "y", xscale="loglog")


def test_plot_training_log_marks_the_clipped_updates_and_the_validation():
    from rnnlib.plots import plot_training_log

    log = {
        "loss": np.array([4.0, 3.0, 2.5, 2.0]),
        "grad_norm": np.array([0.5, 2.0, 3.0, 0.8]),
        "val_step": np.array([0, 4]),
        "val_loss": np.array([4.1, 2.6]),
    }
    fig = plot_training_log(
        log, clip_norm=1.0, reference={"log V": 4.2}, evaluations={"held-out": ([1, 4], [4.1, 2.2])}, smooth=2
    )
    axes = {ax.get_gid(): ax for ax in fig.axes}
    right = axes["grad_norm"]
    assert right.get_title() == "clipped in 50% of the updates"
    clipped = [ln for ln in right.lines if ln.get_label() == "clipped updates"][0]
    np.testing.assert_allclose(clipped.get_xdata(), [2, 3])
    left = axes["loss"]
    np.testing.assert_allclose(left.lines[1].get_ydata(), [4.0, 3.5, 2.75, 2.25])  # moving average of 2
    assert [ln.get_label() for ln in left.lines][2:] == ["validation", "held-out", "log V"]
    np.testing.assert_allclose(left.lines[2].get_xdata(), [0, 4])
    refs = [ln for ln in left.lines if ln.get_gid() == "reference"]
    assert [ln.get_linestyle() for ln in refs] == [":"] and to_hex(refs[0].get_color()) == "#000000"
    with pytest.raises(ValueError, match=r"log\['grad_norm'\] must have shape \(S,\) = \(4,\) like log\['loss'\]"):
        plot_training_log({"loss": log["loss"], "grad_norm": log["grad_norm"][:3]})
    with pytest.raises(TypeError, match=r"log must be a training log, .* got a dict with keys \['loss'\]"):
        plot_training_log({"loss": log["loss"]})
    with pytest.raises(ValueError, match=r"reference\['nan'\] must be a finite number"):
        plot_training_log(log, reference={"nan": float("nan")})


def test_plot_state_trajectories_draws_paths_words_and_cloud():
    from rnnlib.plots import plot_state_trajectories

    path = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, -1.0]])
    cloud = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 2.0]])
    fig = plot_state_trajectories({"not good": path}, {"not good": ["not", "good"]}, cloud, np.array([0, 1, 1]))
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.lines if ln.get_label() == "\u201cnot good\u201d"]
    np.testing.assert_array_equal(line.get_xydata(), path)
    assert [t.get_text() for t in ax.texts] == ["not", "good"]
    np.testing.assert_array_equal(ax.texts[1].xy, (2.0, -1.0))  # each word labels the state after it
    offsets = {c.get_label(): c.get_offsets() for c in ax.collections}
    np.testing.assert_array_equal(offsets["final states of negative reviews"], cloud[:1])
    np.testing.assert_array_equal(offsets["final states of positive reviews"], cloud[1:])
    assert png_bytes(fig)[:4] == b"\x89PNG"


def test_plot_state_trajectories_errors():
    from rnnlib.plots import plot_state_trajectories

    with pytest.raises(TypeError, match="paths must be a non-empty dict"):
        plot_state_trajectories({})
    with pytest.raises(ValueError, match=r"paths\['a'\] must have shape \(T \+ 1, 2\) with T >= 1; got \(1, 2\)"):
        plot_state_trajectories({"a": np.zeros((1, 2))})
    with pytest.raises(ValueError, match=r"words\['a'\] must hold T = 2 tokens, one per step; got 1"):
        plot_state_trajectories({"a": np.zeros((3, 2))}, {"a": ["x"]})
    with pytest.raises(ValueError, match=r"cloud_labels must have shape \(M,\) = \(2,\); got \(3,\)"):
        plot_state_trajectories({"a": np.zeros((3, 2))}, cloud=np.zeros((2, 2)), cloud_labels=np.zeros(3))


def test_plot_probabilities_labels_every_bar_with_its_value():
    fig = plot_probabilities(["a", "b"], {"RNN": np.array([0.001, 0.999])})
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["0.00", "1.00"]


# ---------------------------------------------------------------------------
# plot_path_terms (chapter 4)
# ---------------------------------------------------------------------------


def test_plot_path_terms_bars_and_sum():
    from rnnlib.plots import plot_path_terms

    fig = plot_path_terms({"W_xh": [0.5, -0.25, 1.0], "b_y": np.array([0.125])})
    assert len(fig.axes) == 2
    left, right = fig.axes
    heights = [p.get_height() for p in left.patches]
    assert heights == [0.5, -0.25, 1.0, 1.25]  # three paths, then their sum
    assert [p.get_hatch() for p in left.patches] == [None, None, None, "//"]
    assert [t.get_text() for t in left.get_xticklabels()] == ["via $a_{1}$", "via $a_{2}$", "via $a_{3}$", "sum"]
    assert [t.get_text() for t in left.texts] == ["0.500", "-0.250", "1.000", "1.250"]
    assert left.get_title() == "terms of $dL/dW_{xh}$" and right.get_title() == "terms of $dL/db_{y}$"
    assert [p.get_height() for p in right.patches] == [0.125, 0.125]
    assert png_bytes(fig).startswith(b"\x89PNG")
    zero = plot_path_terms({"W_hh": [-0.0, 0.5]})  # a path through h_0 = 0 is -0.0 as often as 0.0
    assert [t.get_text() for t in zero.axes[0].texts] == ["0.000", "0.500", "0.500"]
    with pytest.raises(TypeError, match="terms must be a non-empty dict"):
        plot_path_terms([0.1, 0.2])
    with pytest.raises(ValueError, match="decimals must be a non-negative int; got -1"):
        plot_path_terms({"W_xh": [0.1]}, decimals=-1)
    with pytest.raises(ValueError, match=r"terms\['W_xh'\] must have shape \(T,\) with T >= 1; got \(0,\)"):
        plot_path_terms({"W_xh": np.zeros(0)})


# ---------------------------------------------------------------- chapter 5: gradient norms, length sweep, clipping


def _lines(ax, gid):
    return [ln for ln in ax.lines if ln.get_gid() == gid]


def test_plot_jacobian_norm_curves_draws_each_scale_and_its_bound():
    from rnnlib.gradients import jacobian_norm_curves, jacobian_norm_curves_by_activation
    from rnnlib.plots import plot_jacobian_norm_curves

    fig = plot_jacobian_norm_curves(jacobian_norm_curves_by_activation((0.5, 0.9, 1.0, 1.1, 1.5), "tanh", 50))
    (ax,) = [a for a in fig.axes if a.get_visible()]
    assert ax.get_gid() == "tanh" and ax.get_yscale() == "log"
    measured, bound = _lines(ax, "measured"), _lines(ax, "bound")
    assert len(measured) == len(bound) == 5
    curves = jacobian_norm_curves((0.5, 0.9, 1.0, 1.1, 1.5), 50, seed=0)
    for line, b, c in zip(measured, bound, curves.values()):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 51))
        np.testing.assert_allclose(line.get_ydata(), c["norm"])
        np.testing.assert_allclose(b.get_ydata(), c["bound"])
        assert to_hex(line.get_color()) == to_hex(b.get_color())
    assert [to_hex(ln.get_color()) for ln in measured] == [c.lower() for c in PALETTE[:5]]
    plt.close("all")


def test_plot_jacobian_norm_curves_panels_and_exact_linear_case():
    from rnnlib.gradients import jacobian_norm_curves_by_activation
    from rnnlib.plots import plot_jacobian_norm_curves

    curves = jacobian_norm_curves_by_activation((0.8, 1.2), ("linear", "tanh", "sigmoid"), 12)
    fig = plot_jacobian_norm_curves(curves, show_bound=False)
    visible = [a for a in fig.axes if a.get_visible()]
    assert [a.get_gid() for a in visible] == ["linear", "tanh", "sigmoid"]
    assert all(not _lines(a, "bound") for a in visible)
    lin = _lines(visible[0], "measured")
    np.testing.assert_allclose(lin[1].get_ydata(), 1.2 ** (12 - np.arange(1, 13)), rtol=1e-10)
    assert "0.25" in visible[2].get_title()
    gauss = plot_jacobian_norm_curves(jacobian_norm_curves_by_activation((1.5,), "tanh", 5, kind="gaussian"))
    assert "rho" not in fig.legends[0].texts[0].get_text()  # orthogonal: sigma_max is the spectral radius
    assert "rho" in gauss.legends[0].texts[0].get_text()
    plt.close("all")


def test_plotting_functions_draw_what_they_are_given_and_measure_nothing():
    """A figure function takes its data; measuring (training, simulating) is the caller's step."""
    import ast
    import inspect

    import rnnlib.plots as plots

    measuring = {"jacobian_norm_curves", "jacobian_norm_curves_by_activation", "train", "fit", "train_tbptt", "loss"}
    tree = ast.parse(inspect.getsource(plots))
    for fn in (node for node in tree.body if isinstance(node, ast.FunctionDef)):
        called = {
            call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            for call in ast.walk(fn)
            if isinstance(call, ast.Call)
        }
        assert not called & measuring, f"plots.{fn.name} calls {sorted(called & measuring)}: pass it the measured data"


def test_plot_step_gradient_norms_draws_runs_and_stages():
    from rnnlib.plots import plot_step_gradient_norms

    a, b = np.array([1e-6, 1e-3, 1.0]), np.array([1e-2, 1e-1, 1.0, 2.0])
    fig = plot_step_gradient_norms({"T = 3": {"init": a, "trained": a * 2}, "T = 4": {"init": b}})
    axes = {ax.get_gid(): ax for ax in fig.axes}
    assert list(axes) == ["T = 3", "T = 4"]
    left, right = axes["T = 3"], axes["T = 4"]
    assert left.get_yscale() == right.get_yscale() == "log"
    assert len(left.lines) == 2 and len(right.lines) == 1
    np.testing.assert_array_equal(right.lines[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(left.lines[1].get_ydata(), a * 2)
    assert left.lines[0].get_linestyle() == "-" and left.lines[1].get_linestyle() == "--"
    assert to_hex(left.lines[0].get_color()) == to_hex(right.lines[0].get_color()) != to_hex(left.lines[1].get_color())
    assert [t.get_text() for t in fig.legends[0].texts] == ["init", "trained"]
    with pytest.raises(ValueError, match=r"runs\['r'\]\['s'\] must be positive to be drawn on a log scale"):
        plot_step_gradient_norms({"r": {"s": np.array([1.0, 0.0])}})
    with pytest.raises(TypeError, match="runs must be a non-empty dict"):
        plot_step_gradient_norms({})
    with pytest.raises(TypeError, match=r"runs\['r'\] must be a non-empty dict of stage name -> array"):
        plot_step_gradient_norms({"r": np.ones(3)})


def test_plot_error_vs_length_draws_errors_and_baselines():
    from rnnlib.plots import plot_error_vs_length

    fig = plot_error_vs_length([5, 10, 20], {"RNN": np.array([0.01, 0.05, 0.16])}, {"predict 1": 1 / 6})
    ax = fig.axes[0]
    (err,) = _lines(ax, "error")
    (base,) = _lines(ax, "baseline")
    np.testing.assert_array_equal(err.get_xdata(), [5, 10, 20])
    np.testing.assert_allclose(err.get_ydata(), [0.01, 0.05, 0.16])
    np.testing.assert_allclose(base.get_ydata(), [1 / 6, 1 / 6])
    assert [t.get_text() for t in fig.legends[0].texts] == ["RNN", "predict 1"]
    with pytest.raises(ValueError, match=r"errors\['RNN'\] must have shape \(K,\) = \(3,\) like lengths; got \(2,\)"):
        plot_error_vs_length([5, 10, 20], {"RNN": np.array([0.1, 0.2])})
    with pytest.raises(TypeError, match="lengths must be a 1-D array of shape"):
        plot_error_vs_length([5.0, 10.0], {"RNN": np.array([0.1, 0.2])})


def test_plot_clipping_draws_both_panels():
    from rnnlib.plots import plot_clipping

    h = {
        "unclipped": {"grad_norm": np.array([10.0, 100.0, 1e4]), "loss": np.array([1.0, 5.0, 1e3])},
        "clipped": {"grad_norm": np.array([10.0, 3.0, 1.0]), "loss": np.array([1.0, 0.5, 0.2])},
    }
    fig = plot_clipping(h, max_norm=1.0, baseline=1 / 6)
    axes = {a.get_gid(): a for a in fig.axes}
    assert set(axes) == {"grad_norm", "loss"}
    assert axes["grad_norm"].get_yscale() == axes["loss"].get_yscale() == "log"
    np.testing.assert_allclose(axes["loss"].lines[0].get_ydata(), [1.0, 5.0, 1e3])
    np.testing.assert_allclose(axes["grad_norm"].lines[1].get_ydata(), [10.0, 3.0, 1.0])
    np.testing.assert_allclose(axes["grad_norm"].lines[2].get_ydata(), [1.0, 1.0])  # the threshold
    np.testing.assert_allclose(axes["loss"].lines[2].get_ydata(), [1 / 6, 1 / 6])
    with pytest.raises(TypeError, match=r"histories\['x'\] must be a dict with 'grad_norm' and 'loss'"):
        plot_clipping({"x": {"loss": np.ones(2)}})


# -- chapter 7: truncated BPTT, temperatures, truncated sampling, overfitting -----


def test_plot_stream_chunks_draws_every_character_and_carry():
    from rnnlib.plots import plot_stream_chunks

    fig = plot_stream_chunks(["Alice was ", "beginning "], 3)  # S = 10: chunks of 3, 3, 3 and one target
    ax = fig.axes[0]
    gids = {p.get_gid() for p in ax.patches if p.get_gid()}
    assert {f"char:{n},{t}" for n in range(2) for t in range(10)} <= gids
    carries = sorted(c.get_gid() for c in ax.get_children() if str(c.get_gid()).startswith("carry:"))
    assert carries == ["carry:0,1", "carry:0,2", "carry:1,1", "carry:1,2"]
    texts = [t.get_text() for t in ax.texts]
    assert "␣" in texts and "update 3" in texts and "update 4" not in texts
    grey = [p for p in ax.patches if p.get_gid() == "char:0,9"][0]
    assert to_hex(grey.get_facecolor()) == "#dddddd"
    png_bytes(fig)
    with pytest.raises(ValueError, match=r"every row must have the length of row 0 \(3\); got lengths \[3, 2\]"):
        plot_stream_chunks(["abc", "ab"], 1)
    with pytest.raises(ValueError, match="rows of length 3 hold no whole chunk of 3 inputs"):
        plot_stream_chunks(["abc"], 3)
    with pytest.raises(TypeError, match="rows must be a non-empty list of str"):
        plot_stream_chunks("abc", 1)


def test_plot_distributions_orders_by_the_first():
    from rnnlib.plots import plot_distributions

    p1, p2 = np.array([0.2, 0.5, 0.3]), np.array([1 / 3, 1 / 3, 1 / 3])
    fig = plot_distributions(["a", " ", "\n"], {"cold": p1, "hot": p2}, top=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["␣", "↵"]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [0.5, 0.3, 1 / 3, 1 / 3])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[1] == "hot (perplexity 3.0)"
    with pytest.raises(ValueError, match=r"probabilities\['x'\] must be non-negative and sum to 1; got sum 0.5"):
        plot_distributions(["a", "b"], {"x": np.array([0.25, 0.25])})
    with pytest.raises(ValueError, match=r"probabilities\['x'\] must have shape \(V,\) = \(2,\); got \(3,\)"):
        plot_distributions(["a", "b"], {"x": p1})


def _char_distribution():
    from rnnlib.charlm import char_vocabulary

    vocab = char_vocabulary("the cat sat on the mat.\n")
    p = np.zeros(len(vocab))
    p[2:] = np.arange(len(vocab) - 2, 0, -1.0)  # the likeliest first, in the order of the vocabulary
    p[5] = 0.5  # one character out of order
    return p / p.sum(), vocab


def test_plot_next_character_groups_the_distributions_without_pad_and_unk():
    from rnnlib.plots import plot_next_character

    p, vocab = _char_distribution()
    q = np.roll(p, 1)
    q[:2] = 0
    q /= q.sum()
    fig = plot_next_character({"τ = 1": p, "τ = 0.5": q}, vocab, "the c", top=4)
    ax = fig.axes[0]
    assert ax.get_title() == "next character after 'the c'" and len(ax.patches) == 8
    np.testing.assert_allclose(sorted(b.get_height() for b in ax.patches[:4]), np.sort(p)[-4:])
    shown = [t.get_text() for t in ax.get_xticklabels()]
    top = [vocab.id_to_token[i] for i in np.argsort(-p, kind="stable")[:4]]  # id 5 is not among them
    assert shown == [{" ": "␣", "\n": "↵"}.get(c, c) for c in top] and vocab.id_to_token[5] not in top
    assert [t.get_text().split(" (")[0] for t in ax.get_legend().get_texts()] == ["τ = 1", "τ = 0.5"]
    with pytest.raises(ValueError, match=r"probabilities\['a'\] must have shape \(V,\) = \(\d+,\) like vocab"):
        plot_next_character({"a": p[:-1]}, vocab, "the")
    with pytest.raises(TypeError, match="vocab must be an rnnlib.Vocabulary of characters"):
        plot_next_character({"a": p}, "abc", "the")


def test_plot_truncation_one_panel_per_rule():
    from rnnlib.charlm import nucleus_probabilities, top_k_probabilities
    from rnnlib.plots import plot_truncation

    p, vocab = _char_distribution()
    fig = plot_truncation(p, {"top-2": top_k_probabilities(p, 2), "nucleus 0.9": nucleus_probabilities(p, 0.9)}, vocab)
    assert len(fig.axes) == 2 and "keeps 2 of" in fig.axes[0].get_title()
    # one panel above the other, each showing min(top, V) characters with their labels
    assert fig.axes[0].get_position().y0 > fig.axes[1].get_position().y1
    assert all(len(ax.get_xticklabels()) == min(30, len(vocab)) for ax in fig.axes)
    fig = plot_truncation(p, {"top-2": top_k_probabilities(p, 2)}, vocab, top=3)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [
        {" ": "␣", "\n": "↵"}.get(vocab.id_to_token[i], vocab.id_to_token[i]) for i in np.argsort(-p, kind="stable")[:3]
    ]
    with pytest.raises(ValueError, match="probs must have shape"):
        plot_truncation(p[:-1] / p[:-1].sum(), {"a": p}, vocab)
    assert plt.get_fignums() == []


def test_plot_overfitting_training_against_validation_and_the_runs_medians():
    from rnnlib.plots import plot_overfitting

    def log(shift):
        return {
            "loss": np.linspace(3, 1, 40) + shift,
            "val_step": np.array([0, 20, 40]),
            "val_loss": np.array([3.0, 2.0, 2.5]) + shift,
        }

    fig = plot_overfitting({"plain": [log(0.0), log(0.2)], "dropout": [log(-0.1)]}, reference={"3-gram": 2.2}, smooth=5)
    left, right = fig.axes
    assert left.get_title() == "plain: 2 seeds"
    medians = [ln for ln in right.lines if ln.get_label() in ("plain", "dropout")]
    np.testing.assert_allclose(medians[0].get_ydata(), [3.1, 2.1, 2.6])
    assert all([ln.get_label() for ln in ax.lines if ln.get_gid() == "reference"] == ["3-gram"] for ax in fig.axes)
    with pytest.raises(ValueError, match=r"runs\['a'\] must hold training logs with validation measurements"):
        plot_overfitting({"a": [{"loss": np.zeros(3)}]})
    with pytest.raises(TypeError, match="runs must be a non-empty dict of name -> list of training logs"):
        plot_overfitting({"a": []})


def test_plot_generated_draws_truth_and_generated_per_panel():
    from rnnlib.plots import plot_generated

    truth = np.arange(15, dtype=float).reshape(5, 3)
    fig = plot_generated(truth, -truth, titles=list("abcde"), ylabel="level")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5 and len(fig.axes) == 8  # two rows of four, three panels hidden
    for m, ax in enumerate(visible):
        true_line, gen_line = ax.lines
        np.testing.assert_array_equal(true_line.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(true_line.get_ydata(), truth[m])
        np.testing.assert_array_equal(gen_line.get_ydata(), -truth[m])
        assert to_hex(true_line.get_color()) == PALETTE[0].lower() and gen_line.get_linestyle() == "--"
        assert ax.get_title() == "abcde"[m]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["truth", "generated"]
    with pytest.raises(ValueError, match=r"generated must have the shape of truth \(M, T\) = \(5, 3\); got \(5, 2\)"):
        plot_generated(truth, truth[:, :2])
    with pytest.raises(ValueError, match=r"truth must have shape \(M, T\) with M, T >= 1; got \(3,\)"):
        plot_generated(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="titles must hold one str per sequence, M = 5"):
        plot_generated(truth, truth, titles=["a"])


def test_plot_token_probabilities_one_panel_per_sequence():
    from rnnlib.plots import plot_token_probabilities

    tokens = [["are", "you", "free"], ["win", "now"]]
    probs = [np.array([0.2, 0.1, 0.05]), np.array([0.6, 0.99])]
    fig = plot_token_probabilities(tokens, probs, ylabel="P(spam)", titles=["not spam", "spam"])
    assert len(fig.axes) == 2
    for ax, toks, p, title in zip(fig.axes, tokens, probs, ["not spam", "spam"]):
        threshold, line = ax.lines
        np.testing.assert_array_equal(threshold.get_ydata(), [0.5, 0.5])
        np.testing.assert_array_equal(line.get_ydata(), p)
        assert [t.get_text() for t in ax.get_xticklabels()] == toks
        assert ax.get_ylabel() == "P(spam)" and ax.get_title(loc="left") == title
    with pytest.raises(ValueError, match="tokens\\[1\\] must hold one token per probability \\(2\\)"):
        plot_token_probabilities([["a"], ["b"]], [np.array([0.5]), np.array([0.5, 0.5])])
    with pytest.raises(ValueError, match=r"probabilities\[0\] must lie in \[0, 1\]; got 0.5..1.5"):
        plot_token_probabilities([["a", "b"]], [np.array([0.5, 1.5])])
    with pytest.raises(ValueError, match=r"probabilities must hold one array per sequence \(1\); got 2"):
        plot_token_probabilities([["a"]], [np.array([0.5]), np.array([0.5])])


def test_plot_accuracy_bars_groups_and_labels():
    from rnnlib.plots import plot_accuracy_bars

    acc = {"rnn": np.array([1.0, 0.9, 0.5]), "baseline": [0.8, 0.25, 0.0]}
    fig = plot_accuracy_bars(["DET", "NOUN", "VERB"], acc, xlabel="tag")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [1.0, 0.9, 0.5, 0.8, 0.25, 0.0])
    colours = {to_hex(p.get_facecolor()) for p in ax.patches[:3]}, {to_hex(p.get_facecolor()) for p in ax.patches[3:]}
    assert colours == ({PALETTE[0].lower()}, {PALETTE[1].lower()})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["DET", "NOUN", "VERB"]
    assert ["1.00", "0.90", "0.50"] == [t.get_text() for t in ax.texts[:3]]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["rnn", "baseline"]
    with pytest.raises(ValueError, match=r"accuracies\['rnn'\] must have shape \(C,\) = \(2,\); got \(3,\)"):
        plot_accuracy_bars(["a", "b"], {"rnn": acc["rnn"]})
    with pytest.raises(ValueError, match=r"accuracies\['x'\] must lie in \[0, 1\]"):
        plot_accuracy_bars(["a"], {"x": [1.5]})
    with pytest.raises(TypeError, match="categories must be a non-empty list of str"):
        plot_accuracy_bars([], {"x": []})


def test_plot_memory_trace_panels_bars_and_shading():
    from rnnlib.plots import plot_memory_trace

    values = np.array([0.5, 0.2, 0.9, 0.4, 0.7])
    marked = np.array([False, True, False, False, True])
    gate_i, gate_f, cell = np.linspace(0, 1, 5), np.full(5, 0.99), np.array([0.0, 0.2, 0.2, 0.2, 0.9])
    fig = plot_memory_trace(values, marked, {"gates": {"i": gate_i, "f": gate_f}, "cell state": {"c": cell}})
    top, gates_ax, cell_ax = fig.axes
    assert [ax.get_gid() for ax in fig.axes] == ["inputs", "gates", "cell state"]
    bars = [p for p in top.patches if p.get_height() != 0 and p.get_width() == pytest.approx(0.7)]
    heights = {round(b.get_x() + b.get_width() / 2): b.get_height() for b in bars}
    assert heights == pytest.approx({t + 1: v for t, v in enumerate(values)})
    hatched = sorted(round(b.get_x() + b.get_width() / 2) for b in bars if b.get_hatch())
    assert hatched == [2, 5]  # the marked steps, t = 1..T
    for ax in fig.axes:  # every panel shades the two marked steps
        spans = [p for p in ax.patches if p not in bars]
        assert len(spans) == 2
    np.testing.assert_array_equal(gates_ax.lines[0].get_xdata(), np.arange(1, 6))
    np.testing.assert_array_equal(gates_ax.lines[1].get_ydata(), gate_f)
    np.testing.assert_array_equal(cell_ax.lines[0].get_ydata(), cell)
    assert [t.get_text() for t in gates_ax.get_legend().get_texts()] == ["i", "f"]
    assert cell_ax.get_xlabel() == "step $t$"
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_plot_memory_trace_errors():
    from rnnlib.plots import plot_memory_trace

    with pytest.raises(ValueError, match=r"marked must be a boolean array of shape \(T,\) = \(3,\)"):
        plot_memory_trace(np.ones(3), np.ones(2, bool), {"g": {"i": np.ones(3)}})
    with pytest.raises(ValueError, match=r"marked must be a boolean array"):
        plot_memory_trace(np.ones(2), np.array([0, 2]), {"g": {"i": np.ones(2)}})
    with pytest.raises(TypeError, match="panels must be a non-empty dict"):
        plot_memory_trace(np.ones(2), np.zeros(2, bool), {})
    with pytest.raises(TypeError, match=r"panels\['g'\] must be a non-empty dict of trace label -> array"):
        plot_memory_trace(np.ones(2), np.zeros(2, bool), {"g": np.ones(2)})
    with pytest.raises(ValueError, match=r"panels\['g'\]\['i'\] must have shape \(T,\) = \(2,\); got \(3,\)"):
        plot_memory_trace(np.ones(2), np.zeros(2, bool), {"g": {"i": np.ones(3)}})


def test_plot_jacobian_norm_curves_takes_precomputed_curves():
    from rnnlib.gradients import jacobian_norm_curves
    from rnnlib.plots import plot_jacobian_norm_curves

    curves = {"relu": jacobian_norm_curves((0.7, 2.0), 8, seed=3, hidden_size=4, activation="relu")}
    fig = plot_jacobian_norm_curves(curves, show_bound=False)
    (ax,) = [a for a in fig.axes if a.get_visible()]
    assert ax.get_gid() == "relu" and not _lines(ax, "bound")
    np.testing.assert_allclose(_lines(ax, "measured")[1].get_ydata(), curves["relu"][2.0]["norm"])
    with pytest.raises(TypeError, match="curves must be a non-empty dict of activation -> dict of curves"):
        plot_jacobian_norm_curves({})
    with pytest.raises(ValueError, match=r"curves\['tanh'\]\[1.0\] lacks \['bound', 'sigma_max'"):
        plot_jacobian_norm_curves({"tanh": {1.0: {"t": np.arange(3), "norm": np.ones(3), "spectral_radius": 1.0}}})
    with pytest.raises(ValueError, match="activation must be one of"):
        plot_jacobian_norm_curves({"swish": curves["relu"]})


def test_plot_gradient_flow_one_axis_colour_per_model_style_per_stage():
    from rnnlib.plots import plot_gradient_flow

    flows = {
        "RNN": {"start": np.array([1e-6, 1e-3, 1.0]), "trained": np.array([1e-9, 1e-4, 1.0])},
        "LSTM": {"start": np.array([1e-3, 0.1, 1.0]), "trained": np.array([0.2, 0.3, 1.0])},
    }
    fig = plot_gradient_flow(flows)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["RNN, start", "RNN, trained", "LSTM, start", "LSTM, trained"]
    colours = [to_hex(line.get_color()) for line in ax.lines]
    assert colours == [PALETTE[0].lower()] * 2 + [PALETTE[1].lower()] * 2
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", "-", "--"]
    np.testing.assert_array_equal(ax.lines[3].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(ax.lines[3].get_ydata(), flows["LSTM"]["trained"])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step $t$"
    assert png_bytes(fig).startswith(b"\x89PNG")


def test_plot_gradient_flow_errors():
    from rnnlib.plots import plot_gradient_flow

    with pytest.raises(TypeError, match="flows must be a non-empty dict"):
        plot_gradient_flow({})
    with pytest.raises(TypeError, match=r"flows\['RNN'\] must be a non-empty dict of stage name -> array"):
        plot_gradient_flow({"RNN": np.ones(3)})
    with pytest.raises(ValueError, match=r"flows\['RNN'\]\['b'\] must have shape \(T,\) = \(3,\) like the others"):
        plot_gradient_flow({"RNN": {"a": np.ones(3), "b": np.ones(4)}})
    with pytest.raises(ValueError, match=r"flows\['RNN'\]\['a'\] must be positive to be drawn on a log scale"):
        plot_gradient_flow({"RNN": {"a": np.array([1.0, 0.0])}})


def test_plot_attention_draws_the_weights_with_labels():
    from rnnlib.plots import SEQUENTIAL_CMAP, plot_attention

    w = np.array([[0.05, 0.9, 0.05], [0.7, 0.2, 0.1]])
    fig = plot_attention(w, ["big", "cat", "<eos>"], ["gato", "grande"], title="T")
    ax = next(a for a in fig.axes if a.get_gid() == "attention")
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), w)
    assert image.get_cmap().name == SEQUENTIAL_CMAP and image.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["big", "cat", "<eos>"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["gato", "grande"]
    assert sorted(t.get_text() for t in ax.texts) == ["0.1", "0.2", "0.7", "0.9"]  # weights >= 0.1, one decimal
    assert ax.get_title() == "T" and len(fig.axes) == 2  # the heat map and its colour bar
    assert png_bytes(fig).startswith(b"\x89PNG")
    assert not plt.get_fignums()
    assert not plot_attention(w, ["a", "b", "c"], ["x", "y"], annotate=False).axes[0].texts


def test_plot_attention_errors():
    from rnnlib.plots import plot_attention

    w = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"weights must have shape \(T, S\) with T, S >= 1; got \(3,\)"):
        plot_attention(np.ones(3) / 3, ["a", "b", "c"], ["x"])
    with pytest.raises(ValueError, match=r"weights must lie in \[0, 1\]"):
        plot_attention(-w, ["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match=r"source_tokens must hold S = 3 tokens like weights \(2, 3\); got 2"):
        plot_attention(w, ["a", "b"], ["x", "y"])
    with pytest.raises(ValueError, match=r"output_tokens must hold T = 2 tokens like weights \(2, 3\); got 1"):
        plot_attention(w, ["a", "b", "c"], ["x"])
    with pytest.raises(TypeError, match="source_tokens must be a list of str; got str"):
        plot_attention(w, "abc", ["x", "y"])


def test_plot_unit_circle_map_draws_the_ellipse_and_its_semi_axes():
    from rnnlib.plots import plot_unit_circle_map

    W = np.array([[2.0, 0.0], [0.0, 0.5]])  # stretches x by 2 and y by 1/2
    fig = plot_unit_circle_map(W)
    left, right = (next(a for a in fig.axes if a.get_gid() == gid) for gid in ("input", "output"))
    image = next(line for line in right.lines if line.get_label() == "image $xW$")
    np.testing.assert_allclose(np.max(np.abs(image.get_xdata())), 2.0)
    np.testing.assert_allclose(np.max(np.abs(image.get_ydata())), 0.5)
    tips = [np.abs(a.xy) for a in right.texts if a.get_gid() == "singular"]
    np.testing.assert_allclose(sorted(map(tuple, tips)), [(0.0, 0.5), (2.0, 0.0)], atol=1e-12)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "$\\sigma_1$ = 2.00" in labels and "$\\sigma_2$ = 0.50" in labels
    assert len([a for a in left.texts if a.get_gid() == "singular"]) == 2
    assert {"$\\sigma_1 r_1$", "$\\sigma_2 r_2$"} <= {t.get_text() for t in right.texts}  # R, not V (vocabulary)
    assert png_bytes(fig).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match=r"W must have shape \(2, 2\); got \(3, 3\)"):
        plot_unit_circle_map(np.eye(3))
    with pytest.raises(TypeError, match="W must be a floating-point"):
        plot_unit_circle_map(np.eye(2, dtype=int))


def test_plot_power_norms_draws_norms_and_radius_lines():
    from rnnlib.plots import plot_power_norms

    norms = {"A": np.array([1.0, 2.0, 1.5, 0.5]), "B": np.array([1.0, 0.5, 0.25, 0.125])}
    fig = plot_power_norms(norms, {"B": 0.5})
    (ax,) = fig.axes
    np.testing.assert_array_equal(_lines(ax, "norm")[0].get_ydata(), norms["A"])
    np.testing.assert_array_equal(_lines(ax, "norm")[1].get_xdata(), [0, 1, 2, 3])
    (radius,) = _lines(ax, "radius")
    np.testing.assert_allclose(radius.get_ydata(), 0.5 ** np.arange(4))
    assert to_hex(radius.get_color()) == PALETTE[1].lower() and ax.get_yscale() == "log"
    assert radius.get_label() == "B: $\\rho^p$, $\\rho$ = 0.50" and ax.get_xlabel() == "power $p$"
    # two matrices with the same rho share one black rho^p line, as long as the longer curve
    fig = plot_power_norms({"A": norms["A"], "B": norms["B"][:3]}, {"A": 0.5, "B": 0.5})
    (shared,) = _lines(fig.axes[0], "radius")
    np.testing.assert_allclose(shared.get_ydata(), 0.5 ** np.arange(4))
    assert to_hex(shared.get_color()) == "#000000" and shared.get_label().startswith("both: ")
    fig = plot_power_norms(norms, {"A": 0.9, "B": 0.5})  # different radii: one line each, in its matrix's colour
    assert [to_hex(line.get_color()) for line in _lines(fig.axes[0], "radius")] == [c.lower() for c in PALETTE[:2]]
    with pytest.raises(TypeError, match="norms must be a non-empty dict"):
        plot_power_norms({})
    with pytest.raises(ValueError, match=r"radii names \['C'\] that are not in norms"):
        plot_power_norms(norms, {"C": 1.0})
    with pytest.raises(ValueError, match=r"radii\['A'\] must be a non-negative number"):
        plot_power_norms(norms, {"A": -1.0})
    with pytest.raises(ValueError, match=r"norms\['A'\] must have shape"):
        plot_power_norms({"A": np.ones((2, 2))})


def test_plot_curves_takes_ylim_as_a_list_too():
    import matplotlib.pyplot as plt

    from rnnlib.plots import plot_curves

    fig = plot_curves({"a": [3.0, 2.0, 1.0]}, "x", "y", ylim=[0, 5])  # matplotlib's own ylim takes a list
    assert fig.axes[0].get_ylim() == (0.0, 5.0)
    plt.close(fig)
