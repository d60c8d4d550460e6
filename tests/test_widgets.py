"""Widgets, headless: set a control as a reader would, then check what was redrawn."""

import base64

import ipywidgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnlib import ManyToOne, Vocabulary, widgets

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def vocab():
    return Vocabulary(["not", "good", "bad", ",", "actually", "the", "film", "was"])


@pytest.fixture
def model(rng, vocab):
    m = ManyToOne(vocab_size=len(vocab), hidden_size=5, rng=rng, embedding_size=3)
    m.params["b_y"][:] = 0.3  # a non-zero output bias, so a missing b_y would show
    return m


def axes_by_gid(fig: Figure) -> dict[str, object]:
    return {ax.get_gid(): ax for ax in fig.axes if ax.get_gid()}


# --- the generic wrapper --------------------------------------------------------------------


def test_interactive_figure_redraws_on_every_control_change():
    calls = []

    def plot(scale, offset, n):
        calls.append((scale, offset, n))
        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot(np.arange(n) * scale + offset)
        return fig

    slider = ipywidgets.FloatSlider(value=1.0, min=0, max=2)
    w = widgets.interactive_figure(plot, {"scale": slider, "offset": ipywidgets.IntText(value=3)}, n=4)
    assert calls == [(1.0, 3, 4)]  # drawn once on creation, with the fixed argument
    assert w.children[0] is slider and w.children[-2] is w.image and w.children[-1] is w.status
    first_png = w.image.value
    assert first_png[:8] == PNG
    w.children[0].value = 2.0
    assert calls[-1] == (2.0, 3, 4)
    np.testing.assert_array_equal(w.figure.axes[0].lines[0].get_ydata(), [3, 5, 7, 9])
    assert w.image.value != first_png
    w.controls["offset"].value = -1
    assert calls[-1] == (2.0, -1, 4) and len(calls) == 3
    assert w.control_values() == {"scale": 2.0, "offset": -1}


def test_interactive_figure_reports_errors_and_keeps_the_last_image():
    def plot(k):
        if k < 0:
            raise ValueError(f"k must be non-negative; got {k}")
        return Figure(figsize=(1, 1))

    w = widgets.interactive_figure(plot, {"k": ipywidgets.IntSlider(value=1, min=-3, max=3)})
    good_fig, good_png = w.figure, w.image.value
    w.children[0].value = -2
    assert "k must be non-negative; got -2" in w.status.value
    assert w.figure is good_fig and w.image.value == good_png
    w.children[0].value = 2
    assert w.status.value == "" and w.figure is not good_fig


def test_interactive_figure_repr_is_short_and_names_the_controls():
    w = widgets.interactive_figure(
        lambda k, name: Figure(figsize=(1, 1)),
        {"k": ipywidgets.IntSlider(value=2), "name": ipywidgets.Text(value="not bad")},
    )
    assert repr(w) == "InteractiveFigure(k=2, name='not bad')"
    data, metadata = w._repr_mimebundle_()
    assert data["text/plain"] == repr(w)
    assert widgets.FIGURE_STATES_MIMETYPE not in data  # nbval compares data; the states go in the metadata
    assert widgets.FIGURE_STATES_MIMETYPE in metadata


def test_interactive_figure_argument_errors():
    slider = ipywidgets.IntSlider()
    with pytest.raises(TypeError, match="plot must be a function returning a Figure; got int"):
        widgets.interactive_figure(3, {"k": slider})
    with pytest.raises(TypeError, match="controls must be a dict of name -> ipywidgets control"):
        widgets.interactive_figure(lambda k: Figure(), {"k": 3})
    with pytest.raises(ValueError, match=r"either a control or fixed, not both; got both for \['k'\]"):
        widgets.interactive_figure(lambda k: Figure(), {"k": slider}, k=2)


def test_figure_to_png():
    assert widgets.figure_to_png(Figure(figsize=(1, 1)))[:8] == PNG
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure; got str"):
        widgets.figure_to_png("figure.png")


# --- states drawn ahead of time, for pages with no kernel --------------------------------------


def _line_plot(k, name="a"):
    if k > 2 and name == "short":
        raise ValueError(f"k must be at most 2 for the short one; got {k}")
    fig = Figure(figsize=(2, 1.5))
    fig.suptitle(f"k = {k}, {name}")
    ax = fig.add_subplot()
    ax.plot(np.arange(4) * k)
    ax.set(xlabel="step $t$", ylabel=r"$\|h_t\|$")
    return fig


def test_static_grid_defaults_for_each_kind_of_control():
    grid = widgets.static_grid
    assert grid(ipywidgets.IntSlider(value=3, min=1, max=5)) == [1, 2, 3, 4, 5]  # every step
    assert grid(ipywidgets.IntSlider(value=60, min=2, max=200)) == [2, 35, 60, 68, 101, 134, 167, 200]
    assert grid(ipywidgets.FloatSlider(value=1.0, min=0.0, max=3.0)) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert grid(ipywidgets.FloatLogSlider(value=0.5, base=10, min=-2, max=1)) == [
        0.01,
        0.032,
        0.1,
        0.32,
        0.5,
        1.0,
        3.2,
        10.0,
    ]
    assert grid(ipywidgets.Dropdown(options=["tanh", "relu"], value="relu")) == ["tanh", "relu"]
    assert grid(ipywidgets.Checkbox(value=True)) == [False, True]
    assert grid(ipywidgets.Text(value="said the ")) == ["said the "]  # a free box offers its own text
    assert grid(ipywidgets.Text(value="b"), ["a", "b", "a"]) == ["a", "b"]
    assert grid(ipywidgets.FloatSlider(value=0.7), [2.0, 0.5]) == [0.5, 0.7, 2.0]  # sorted, start included
    with pytest.raises(ValueError, match="the grid of a control must be a non-empty list of values; got str"):
        grid(ipywidgets.Text(value="a"), "abc")
    with pytest.raises(ValueError, match="non-empty list"):
        grid(ipywidgets.IntSlider(), [])


def test_figure_states_draw_every_combination_the_plot_accepts():
    w = widgets.interactive_figure(
        _line_plot,
        {"k": ipywidgets.IntSlider(value=2, min=1, max=4, description="k"), "name": ipywidgets.Text(value="long")},
        static_grid={"name": ["long", "short"]},
    )
    st = w.figure_states()
    assert [c["name"] for c in st["controls"]] == ["k", "name"]
    assert st["controls"][0] == {
        "name": "k",
        "label": "k",
        "kind": "range",
        "values": [1, 2, 3, 4],
        "labels": ["1", "2", "3", "4"],
        "start": 1,
    }
    assert st["controls"][1]["kind"] == "select" and st["controls"][1]["values"] == ["long", "short"]
    # k = 3, 4 with "short" raise: those states are left out, every other one is drawn once
    assert sorted(st["states"]) == ["0,0", "0,1", "1,0", "1,1", "2,0", "3,0"]
    assert st["start"] == "1,0"
    assert len(st["images"]) == len(st["alt"]) == 6
    png = base64.b64decode(st["images"][st["states"]["2,0"]])
    assert png[:8] == PNG and (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (144, 108)
    assert st["alt"][st["states"]["2,0"]] == "k = 3, long; |h_t| against step t"
    assert st["highlights"] == ["0,0", "1,0", "2,0", "3,0"]  # the first control across its range
    assert w.control_values() == {"k": 2, "name": "long"}  # drawing the states moved nothing


def test_figure_states_share_identical_images_and_fail_when_nothing_draws():
    w = widgets.interactive_figure(lambda k: Figure(figsize=(1, 1)), {"k": ipywidgets.IntSlider(value=1, min=0, max=3)})
    st = w.figure_states()
    assert len(st["states"]) == 4 and len(st["images"]) == 1 and set(st["states"].values()) == {0}

    calls = []

    def once(k):  # draws the live figure, then refuses everything
        calls.append(k)
        if len(calls) > 1:
            raise ValueError("drawn once only")
        return Figure(figsize=(1, 1))

    w = widgets.interactive_figure(once, {"k": ipywidgets.IntSlider(value=1, min=0, max=3)})
    with pytest.raises(ValueError, match="no combination of the grid values could be drawn"):
        w.figure_states()
    data, metadata = w._repr_mimebundle_()
    assert "text/plain" in data and widgets.FIGURE_STATES_MIMETYPE not in metadata  # the page falls back to a note
    with pytest.raises(ValueError, match="static_grid must map control names"):
        widgets.interactive_figure(once, {"k": ipywidgets.IntSlider()}, static_grid={"j": [1]})


def test_describe_figure_reads_the_figure_text():
    fig = _line_plot(2)
    assert widgets.describe_figure(fig) == "k = 2, a; |h_t| against step t"
    assert widgets.describe_figure(Figure()) == "a figure"
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure; got str"):
        widgets.describe_figure("fig")


def test_step_through_widget_states_cover_every_step_of_every_offered_sentence(model, vocab):
    w = widgets.step_through_widget(model, vocab, "not good", t=1, examples=["the film was bad , actually"])
    assert w.grid == {"t": [1, 2, 3, 4, 5, 6], "sentence": ["not good", "the film was bad , actually"]}
    st = w.figure_states()
    assert len(st["states"]) == 2 + 6  # two steps of the first sentence, six of the second
    assert st["start"] == "0,0"
    assert w.figure_states.__doc__ and widgets.step_through_widget(model, vocab, "not good").grid["sentence"] == [
        "not good",
        *widgets.STEP_THROUGH_EXAMPLES,
    ]
    with pytest.raises(TypeError, match="examples must be a list of str sentences; got str"):
        widgets.step_through_widget(model, vocab, "not good", examples="bad")


def test_gradient_explorer_states_vary_the_scale_and_the_activation():
    w = widgets.gradient_explorer_widget(scale=1.0, activation="tanh", T=20)
    assert w.grid == {
        "scale": [0.5, 1.0, 2.0],
        "activation": ["tanh", "relu", "linear", "sigmoid"],
        "T": [20],
        "kind": ["orthogonal"],
    }
    assert widgets.gradient_explorer_widget(scale=1.5, T=20).grid["scale"] == [0.5, 1.0, 1.5, 2.0]


# --- step-through ---------------------------------------------------------------------------


def test_step_through_data_matches_the_model_on_every_prefix(model, vocab):
    d = widgets.step_through_data(model, vocab, "The film was not good, actually bad")
    assert d["tokens"] == ["the", "film", "was", "not", "good", ",", "actually", "bad"]
    T = len(d["tokens"])
    assert d["hs"].shape == (T, 5) and d["probs"].shape == (T,) and d["ids"].shape == (T,)
    _, cache = model.forward(d["ids"][None])
    np.testing.assert_array_equal(d["hs"], cache["hs"][0])
    for t in range(1, T + 1):  # y_hat after a prefix is what the model says about that prefix alone
        np.testing.assert_allclose(d["probs"][t - 1], model.predict_proba(d["ids"][None, :t])[0], rtol=1e-12)


def test_step_through_data_unknown_words_and_token_lists(model, vocab):
    d = widgets.step_through_data(model, vocab, ["not", "superb"])
    assert d["tokens"] == ["not", "<unk>"]
    assert d["ids"].tolist() == [vocab.token_to_id["not"], vocab.unk_id]


def test_step_through_data_errors(model, vocab):
    with pytest.raises(ValueError, match="sentence must contain at least one token; got '  '"):
        widgets.step_through_data(model, vocab, "  ")
    with pytest.raises(TypeError, match="sentence must be a str or a list of str tokens; got int"):
        widgets.step_through_data(model, vocab, 3)
    with pytest.raises(TypeError, match="vocab must be an rnnlib.Vocabulary; got dict"):
        widgets.step_through_data(model, {"not": 2}, "not good")


def test_plot_step_through_defaults_to_the_last_step(model, vocab):
    fig = widgets.plot_step_through(model, vocab, "not good , actually bad")
    d = widgets.step_through_data(model, vocab, "not good , actually bad")
    axes = axes_by_gid(fig)
    data = axes["states"].images[0].get_array()
    assert data.shape == (5, 5) and not np.ma.getmaskarray(data).any()  # every step read
    np.testing.assert_allclose(data, d["hs"].T)
    assert fig.get_suptitle().startswith("step t = 5 of 5: after \u201cbad\u201d")
    assert f"= {d['probs'][-1]:.2f}" in fig.get_suptitle()


def test_plot_step_through_at_step_t_hides_the_future(model, vocab):
    sentence = "not good , actually bad"
    d = widgets.step_through_data(model, vocab, sentence)
    fig = widgets.plot_step_through(model, vocab, sentence, t=2)
    axes = axes_by_gid(fig)
    mask = np.ma.getmaskarray(axes["states"].images[0].get_array())
    assert not mask[:, :2].any() and mask[:, 2:].all()
    (current,) = [p for p in axes["states"].patches if p.get_gid() == "current"]
    assert current.get_x() == pytest.approx(0.5)  # frames column t - 1 = 1
    (line,) = [ln for ln in axes["prediction"].lines if ln.get_gid() == "probs"]
    np.testing.assert_allclose(line.get_ydata(), d["probs"][:2])
    verdict = "positive" if d["probs"][1] >= 0.5 else "negative"
    assert "step t = 2 of 5: after \u201cgood\u201d" in fig.get_suptitle()
    assert f"({verdict} so far)" in fig.get_suptitle()
    assert "not read yet" in [t.get_text() for t in axes["states"].texts]


def test_plot_step_through_one_token(model, vocab):
    fig = widgets.plot_step_through(model, vocab, "good")
    assert fig.get_suptitle().startswith("step t = 1 of 1")
    assert "not read yet" not in [t.get_text() for t in axes_by_gid(fig)["states"].texts]


def test_plot_step_through_errors(model, vocab):
    with pytest.raises(ValueError, match="t must be a step of the sentence, 1 to T=2; got 3"):
        widgets.plot_step_through(model, vocab, "not good", t=3)
    with pytest.raises(ValueError, match="t must be a positive int; got 0"):
        widgets.plot_step_through(model, vocab, "not good", t=0)


def test_step_through_widget_slider_redraws(model, vocab):
    w = widgets.step_through_widget(model, vocab, "not good , actually bad")
    slider = w.children[0]
    assert isinstance(slider, ipywidgets.IntSlider)
    assert (slider.min, slider.max, slider.value) == (1, 5, 5)
    last_png = w.image.value
    assert w.figure.get_suptitle().startswith("step t = 5 of 5")
    slider.value = 3
    assert w.figure.get_suptitle().startswith("step t = 3 of 5: after \u201c,\u201d")
    assert np.ma.getmaskarray(axes_by_gid(w.figure)["states"].images[0].get_array())[:, 3:].all()
    assert w.image.value != last_png and w.status.value == ""


def test_step_through_widget_new_sentence_resets_the_slider(model, vocab):
    w = widgets.step_through_widget(model, vocab, ["not", "good"], t=1)
    assert w.children[0].value == 1 and w.children[1].value == "not good"
    w.controls["sentence"].value = "the film was bad"
    assert (w.children[0].max, w.children[0].value) == (4, 4)
    assert w.figure.get_suptitle().startswith("step t = 4 of 4: after \u201cbad\u201d")
    w.controls["sentence"].value = "good"  # shorter than the slider's position
    assert (w.children[0].max, w.children[0].value) == (1, 1) and w.status.value == ""
    kept = w.figure
    w.controls["sentence"].value = ""
    assert "sentence must contain at least one token" in w.status.value and w.figure is kept


def test_step_through_widget_errors(model, vocab):
    with pytest.raises(ValueError, match="t must be a step of the sentence, 1 to T=2; got 5"):
        widgets.step_through_widget(model, vocab, "not good", t=5)


# --- gradient explorer (chapter 5) ----------------------------------------------------------


def _measured(fig):
    (ax,) = [a for a in fig.axes if a.get_visible()]
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "measured"]
    (bound,) = [ln for ln in ax.lines if ln.get_gid() == "bound"]
    return ax, line.get_ydata(), bound.get_ydata()


def test_gradient_explorer_widget_redraws_the_curve_for_each_control():
    w = widgets.gradient_explorer_widget()
    names = ["scale", "activation", "T", "kind"]
    assert list(w.controls) == names and [w.children[i] for i in range(4)] == [w.controls[n] for n in names]
    ax, y, b = _measured(w.figure)
    assert ax.get_gid() == "tanh" and y.shape == (50,) and y[-1] == pytest.approx(1.0)
    assert (y[:-1] < b[:-1]).all()  # tanh strictly under the bound (gamma * 1)^(T - t) = 1
    first_png = w.image.value

    w.children[1].value = "linear"  # orthogonal W_hh, linear: the bound holds with equality
    w.children[0].value = 0.5
    ax, y, b = _measured(w.figure)
    assert ax.get_gid() == "linear"
    np.testing.assert_allclose(y, 0.5 ** (50 - np.arange(1, 51)), rtol=1e-10)
    np.testing.assert_allclose(b, y, rtol=1e-10)
    assert w.image.value != first_png and w.status.value == ""

    w.children[2].value = 10  # a shorter sequence
    _, y, _ = _measured(w.figure)
    np.testing.assert_allclose(y, 0.5 ** (10 - np.arange(1, 11)), rtol=1e-10)

    w.children[0].value = 3.0
    w.children[1].value = "sigmoid"  # gamma = 1/4: (0.25 * 3)^(T - t) still vanishes
    ax, y, b = _measured(w.figure)
    np.testing.assert_allclose(b, 0.75 ** (10 - np.arange(1, 11)), rtol=1e-10)
    assert (y <= b * (1 + 1e-12)).all() and y[0] < 0.75**9

    w.children[3].value = "gaussian"
    assert "rho" in w.figure.legends[0].texts[0].get_text()


def test_gradient_explorer_widget_errors():
    with pytest.raises(ValueError, match=r"activation must be one of .*; got 'gelu'"):
        widgets.gradient_explorer_widget(activation="gelu")
    with pytest.raises(ValueError, match="T must be between 2 and 200 for the slider; got 500"):
        widgets.gradient_explorer_widget(T=500)
    with pytest.raises(ValueError, match="scale must be a number between 0.1 and 3 for the slider; got 5"):
        widgets.gradient_explorer_widget(scale=5)
    with pytest.raises(ValueError, match=r"kind must be one of \['orthogonal', 'gaussian'\]; got 'normal'"):
        widgets.gradient_explorer_widget(kind="normal")
    with pytest.raises(ValueError, match="seed must be a non-negative int; got -3"):
        widgets.gradient_explorer_widget(seed=-3)


# -- the temperature widget (chapter 7) -------------------------------------------------


@pytest.fixture
def trained_lm():
    """A small character model trained for 40 updates, and its characters."""
    from rnnlib import Adam
    from rnnlib.charlm import CharLM, char_vocabulary, encode_text, text_streams
    from rnnlib.training import train_tbptt

    text = "the cat sat on the mat. the dog sat on the log.\n"
    vocab = char_vocabulary(text)
    model = CharLM(len(vocab), 16, np.random.default_rng(0), cell="gru")
    train_tbptt(model, text_streams(encode_text(text * 4, vocab), 4), Adam(0.02), 8, steps=40)
    return model, vocab


def test_temperature_widget_redraws_headless(trained_lm):
    w = widgets.temperature_widget(*trained_lm, prime="the c", temperature=0.5)
    assert [c.description for c in w.controls.values()] == ["prime", "τ"]
    first = w.image.value
    assert [t.get_text().split(" (")[0] for t in w.figure.axes[0].get_legend().get_texts()] == ["τ = 1", "τ = 0.5"]
    w.children[1].value = 2.0  # move the temperature slider as a reader would
    assert [t.get_text().split(" (")[0] for t in w.figure.axes[0].get_legend().get_texts()] == ["τ = 1", "τ = 2"]
    assert w.image.value != first
    w.controls["temperature"].value = 1.0  # the same distribution is drawn once
    assert len(w.figure.axes[0].get_legend().get_texts()) == 1
    w.controls["prime"].value = "the Q"
    assert "never seen" in w.status.value and "Q" in w.status.value
    w.controls["prime"].value = "a d"
    assert w.status.value == "" and w.figure.axes[0].get_title() == "next character after 'a d'"


def test_temperature_widget_draws_a_menu_of_primes_ahead_of_time(trained_lm):
    w = widgets.temperature_widget(*trained_lm, prime="the c", temperature=0.5, examples=("a d", "the Q", "a d"))
    # the prime first, duplicates once, and "the Q" left out: the model has never seen a Q
    assert w.grid["prime"] == ["the c", "a d"]
    assert 0.5 in w.grid["temperature"] and 1.0 in w.grid["temperature"]  # the opening setting and tau = 1
    with pytest.raises(TypeError, match="examples must be a list of non-empty str primes"):
        widgets.temperature_widget(*trained_lm, examples="the c")


def test_temperature_widget_errors(trained_lm):
    model, vocab = trained_lm
    with pytest.raises(TypeError, match="model must be an rnnlib.charlm.CharLM; got str"):
        widgets.temperature_widget("model", vocab)
    with pytest.raises(ValueError, match="temperature must be a positive finite number; got 0"):
        widgets.temperature_widget(model, vocab, temperature=0)
