"""Diagrams: what is drawn (read from the gids of boxes and arrows), the house style, PNG output and errors."""

import io

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from rnnlib import diagrams


def gids(fig: Figure, kind: type) -> set[str]:
    """The gids of every patch of the given class in the figure's single Axes."""
    (ax,) = fig.axes
    return {p.get_gid() for p in ax.patches if isinstance(p, kind)}


def boxes(fig: Figure) -> set[str]:
    return gids(fig, FancyBboxPatch)


def arrows(fig: Figure) -> set[str]:
    return gids(fig, FancyArrowPatch)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_rolled_rnn_has_the_loop():
    fig = diagrams.draw_rolled_rnn()
    assert isinstance(fig, Figure)
    assert boxes(fig) == {"x_t", "h_t", "y_hat"}
    assert arrows(fig) == {"W_xh", "W_hh:loop", "W_hy"}
    assert {r"$W_{xh}$", r"$W_{hh}$", r"$W_{hy}$", r"$x_t$", r"$h_t$", r"$\hat{y}$"} <= set(texts(fig))


def test_rolled_rnn_without_weight_labels():
    fig = diagrams.draw_rolled_rnn(show_weights=False)
    assert not any(t.startswith("$W") for t in texts(fig))
    assert arrows(fig) == {"W_xh", "W_hh:loop", "W_hy"}  # the arrows stay, only the labels go


@pytest.mark.parametrize("T", [1, 3, 5])
def test_unrolled_rnn_many_to_one(T):
    fig = diagrams.draw_unrolled_rnn(T)
    want_boxes = {"h_0"} | {f"{v}_{t}" for t in range(1, T + 1) for v in ("x", "h")} | {f"y_{T}"}
    assert boxes(fig) == want_boxes
    want_arrows = {f"W_xh:{t}" for t in range(1, T + 1)} | {f"W_hh:{t - 1}->{t}" for t in range(1, T + 1)}
    assert arrows(fig) == want_arrows | {f"W_hy:{T}"}
    assert texts(fig).count(r"$W_{hh}$") == T  # one label per recurrent arrow, all the same matrix


def test_unrolled_rnn_outputs_and_h0_options():
    fig = diagrams.draw_unrolled_rnn(4, outputs="all", show_h0=False)
    assert {b for b in boxes(fig) if b.startswith("y_")} == {"y_1", "y_2", "y_3", "y_4"}
    assert "h_0" not in boxes(fig) and "W_hh:0->1" not in arrows(fig)
    assert r"$\hat{y}_{4}$" in texts(fig)
    fig = diagrams.draw_unrolled_rnn(2, outputs="none")
    assert not any(b.startswith("y_") for b in boxes(fig))
    assert not any(a.startswith("W_hy") for a in arrows(fig))


def test_unrolled_rnn_tokens_are_written_under_the_inputs():
    fig = diagrams.draw_unrolled_rnn(3, tokens=["not", "bad", "!"])
    words = [t for t in texts(fig) if t.startswith("\u201c")]
    assert words == ["\u201cnot\u201d", "\u201cbad\u201d", "\u201c!\u201d"]
    word_y = {t.get_position()[1] for t in fig.axes[0].texts if t.get_text() in words}
    assert len(word_y) == 1 and word_y.pop() < 0  # one row, below the input boxes


def test_arrows_are_coloured_by_parameter_matrix():
    fig = diagrams.draw_unrolled_rnn(3)
    for p in fig.axes[0].patches:
        if isinstance(p, FancyArrowPatch):
            weight = p.get_gid().split(":")[0]
            assert to_hex(p.get_edgecolor()) == to_hex(diagrams.ARROW_COLOURS[weight]), p.get_gid()


def test_box_styles_by_kind():
    fig = diagrams.draw_unrolled_rnn(2)
    face = {p.get_gid(): to_hex(p.get_facecolor()) for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)}
    assert face["x_1"] == face["x_2"] == to_hex(diagrams.BOX_STYLES["input"]["facecolor"])
    assert face["h_1"] == to_hex(diagrams.BOX_STYLES["hidden"]["facecolor"])
    assert face["y_2"] == to_hex(diagrams.BOX_STYLES["output"]["facecolor"])
    assert len({face["x_1"], face["h_1"], face["y_2"]}) == 3


def test_rolled_and_unrolled_side_by_side():
    fig = diagrams.draw_rolled_and_unrolled(T=2)
    assert {"x_t", "h_t", "y_hat", "h_0", "h_1", "h_2", "y_2"} <= boxes(fig)
    assert "=" in texts(fig)


@pytest.mark.parametrize(
    ("kind", "want_boxes", "want_arrows"),
    [
        ("one-to-one", {"x_1", "h_1", "y_1"}, {"W_xh:1", "W_hy:1"}),
        (
            "one-to-many",
            {"x_1", "h_1", "h_2", "h_3", "y_1", "y_2", "y_3"},
            {"W_xh:1", "W_hh:1->2", "W_hh:2->3", "W_hy:1", "W_hy:2", "W_hy:3", "feedback:1->2", "feedback:2->3"},
        ),
        (
            "many-to-one",
            {"x_1", "x_2", "x_3", "h_1", "h_2", "h_3", "y_3"},
            {"W_xh:1", "W_xh:2", "W_xh:3", "W_hh:1->2", "W_hh:2->3", "W_hy:3"},
        ),
        (
            "many-to-many",
            {"x_1", "x_2", "x_3", "h_1", "h_2", "h_3", "y_1", "y_2", "y_3"},
            {"W_xh:1", "W_xh:2", "W_xh:3", "W_hh:1->2", "W_hh:2->3", "W_hy:1", "W_hy:2", "W_hy:3"},
        ),
    ],
)
def test_architectures(kind, want_boxes, want_arrows):
    fig = diagrams.draw_architecture(kind, steps=3)
    assert boxes(fig) == want_boxes
    assert arrows(fig) == want_arrows
    assert f"{kind}\n{diagrams.ARCHITECTURES[kind]}" in texts(fig)


def test_encoder_decoder_lengths_differ():
    fig = diagrams.draw_architecture("encoder-decoder", steps=2, out_steps=3)
    assert boxes(fig) == {"x_1", "x_2", "h_1", "h_2", "s_1", "s_2", "s_3", "y_1", "y_2", "y_3"}
    assert {"context", "dec:1->2", "dec:2->3", "feedback:1->2", "feedback:2->3"} <= arrows(fig)
    assert {a for a in arrows(fig) if a.startswith("W_hy")} == {"W_hy:1", "W_hy:2", "W_hy:3"}  # decoder only
    # the decoder's states look different from the encoder's
    face = {p.get_gid(): to_hex(p.get_facecolor()) for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)}
    assert face["s_1"] != face["h_1"]


def test_architecture_without_subtitle_and_width_grows_with_steps():
    small = diagrams.draw_architecture("many-to-many", steps=2, subtitle=False)
    large = diagrams.draw_architecture("many-to-many", steps=5, subtitle=False)
    assert "subtitle" not in {t.get_gid() for t in small.axes[0].texts}
    assert large.get_size_inches()[0] > small.get_size_inches()[0]
    assert large.get_size_inches()[1] == pytest.approx(small.get_size_inches()[1])


@pytest.mark.parametrize(
    "make",
    [
        diagrams.draw_rolled_rnn,
        lambda: diagrams.draw_unrolled_rnn(3, tokens=["a", "b", "c"]),
        lambda: diagrams.draw_rolled_and_unrolled(3),
        *[lambda k=k: diagrams.draw_architecture(k) for k in diagrams.ARCHITECTURES],
    ],
)
def test_every_diagram_renders_to_png(make):
    data = png_bytes(make())
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=r"kind must be one of \['one-to-one', .*\]; got 'two-to-two'"):
        diagrams.draw_architecture("two-to-two")
    with pytest.raises(ValueError, match="T must be a positive int; got 0"):
        diagrams.draw_unrolled_rnn(0)
    with pytest.raises(ValueError, match="T must be at most 12"):
        diagrams.draw_unrolled_rnn(13)
    with pytest.raises(ValueError, match="T must be at most 8"):
        diagrams.draw_rolled_and_unrolled(9)
    with pytest.raises(ValueError, match="outputs must be 'last', 'all' or 'none'; got 'first'"):
        diagrams.draw_unrolled_rnn(3, outputs="first")
    with pytest.raises(ValueError, match="tokens must hold one word per step, T=3; got 2"):
        diagrams.draw_unrolled_rnn(3, tokens=["not", "bad"])
    with pytest.raises(TypeError, match="tokens must be a list of T=3 str; got str"):
        diagrams.draw_unrolled_rnn(3, tokens="not bad !")
    with pytest.raises(TypeError, match="show_weights must be True or False; got int"):
        diagrams.draw_rolled_rnn(show_weights=1)
    with pytest.raises(ValueError, match="steps and out_steps must be at most 8"):
        diagrams.draw_architecture("encoder-decoder", out_steps=9)
    with pytest.raises(TypeError, match="steps must be a positive int; got float"):
        diagrams.draw_architecture("many-to-one", steps=2.0)


# ---------------------------------------------------------------------------
# The dependency graph of BPTT (chapter 4)
# ---------------------------------------------------------------------------


def faded(fig: Figure, ax_index: int = 0) -> set[str]:
    """The gids of the boxes and arrows drawn faded (alpha below 1)."""
    ax = fig.axes[ax_index]
    return {p.get_gid() for p in ax.patches if p.get_alpha() is not None and p.get_alpha() < 1}


def test_influenced_by_follows_the_arrows():
    assert diagrams.influenced_by("W_xh") == ["a_1", "h_1", "a_2", "h_2", "a_3", "h_3", "z", "y_hat", "L"]
    assert diagrams.influenced_by("W_hh", T=2) == ["a_1", "h_1", "a_2", "h_2", "z", "y_hat", "L"]
    assert diagrams.influenced_by("b_h", T=1) == ["a_1", "h_1", "z", "y_hat", "L"]
    assert diagrams.influenced_by("W_hy", T=5) == ["z", "y_hat", "L"]
    assert diagrams.influenced_by("b_y") == ["z", "y_hat", "L"]


@pytest.mark.parametrize("T", [1, 3, 6])
def test_dependency_graph_draws_every_quantity_and_arrow(T):
    fig = diagrams.draw_dependency_graph(T)
    steps = range(1, T + 1)
    want_boxes = {"h_0", "z", "y_hat", "L", "y"} | {f"{v}_{t}" for t in steps for v in ("x", "a", "h")}
    assert boxes(fig) == want_boxes
    want_arrows = {"W_hy", "b_y", "sigmoid", "loss", "target"}
    want_arrows |= {f"{p}:{t}" for t in steps for p in ("W_xh", "b_h", "tanh")} | {f"W_hh:{t - 1}->{t}" for t in steps}
    assert arrows(fig) == want_arrows
    assert faded(fig) == set()  # nothing highlighted, nothing faded
    assert to_hex(next(p for p in fig.axes[0].patches if p.get_gid() == "W_hh:0->1").get_edgecolor()) == to_hex(
        diagrams.ARROW_COLOURS["W_hh"]
    )


def test_highlighting_a_parameter_fades_what_it_cannot_reach():
    fig = diagrams.draw_dependency_graph(3, highlight="W_xh")
    lit = boxes(fig) - faded(fig)
    assert lit == set(diagrams.influenced_by("W_xh"))
    assert {"W_xh:1", "W_xh:2", "W_xh:3", "W_hh:1->2", "W_hh:2->3", "W_hy"} <= arrows(fig) - faded(fig)
    assert {"W_hh:0->1", "b_h:1", "b_y", "target"} <= faded(fig)
    fig = diagrams.draw_dependency_graph(3, highlight="b_y")
    assert boxes(fig) - faded(fig) == {"z", "y_hat", "L"}


def test_one_path_lights_only_its_chain():
    fig = diagrams.draw_dependency_graph(3, highlight="W_xh", step=2)
    assert boxes(fig) - faded(fig) == {"x_2", "a_2", "h_2", "a_3", "h_3", "z", "y_hat", "L"}
    assert arrows(fig) - faded(fig) == {"W_xh:2", "tanh:2", "W_hh:2->3", "tanh:3", "W_hy", "sigmoid", "loss"}
    fig = diagrams.draw_dependency_graph(3, highlight="W_hh", step=1)
    assert {"h_0", "a_1", "h_1", "a_2"} <= boxes(fig) - faded(fig)  # h_0 is what W_hh multiplies at step 1


def test_gradient_paths_has_one_panel_per_step():
    fig = diagrams.draw_gradient_paths("b_h", T=4)
    assert len(fig.axes) == 4
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert [t.split(":")[0] for t in titles] == ["path 1 of 4", "path 2 of 4", "path 3 of 4", "path 4 of 4"]
    assert "$a_{4}$" in titles[0] and "$a_{1}$" in titles[3]  # from the last step back to the first
    # panel i lights the bias arrow into a_{T - i} and nothing of the earlier steps
    for i, step in enumerate(range(4, 0, -1)):
        lit = {p.get_gid() for p in fig.axes[i].patches if p.get_alpha() is None or p.get_alpha() == 1}
        assert f"b_h:{step}" in lit and all(f"b_h:{t}" not in lit for t in range(1, 5) if t != step)
        assert {f"a_{t}" for t in range(step, 5)} <= lit and not {f"a_{t}" for t in range(1, step)} & lit


def test_dependency_graph_renders_and_errors():
    assert png_bytes(diagrams.draw_dependency_graph(highlight="W_hh")).startswith(b"\x89PNG")
    assert png_bytes(diagrams.draw_gradient_paths()).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match=r"parameter must be one of \['W_xh', 'W_hh', 'b_h', 'W_hy', 'b_y'\]; got 'W'"):
        diagrams.draw_dependency_graph(highlight="W")
    with pytest.raises(ValueError, match="T must be at most 6"):
        diagrams.influenced_by("W_xh", T=7)
    with pytest.raises(ValueError, match="step needs a parameter to follow"):
        diagrams.draw_dependency_graph(step=1)
    with pytest.raises(ValueError, match="step must be a time step from 1 to T=3; got 4"):
        diagrams.draw_dependency_graph(highlight="W_xh", step=4)
    with pytest.raises(ValueError, match="parameter must be used at every step"):
        diagrams.draw_gradient_paths("W_hy")


@pytest.mark.parametrize(("condition", "with_v"), [("every step", True), ("initial", False)])
def test_one_to_many_as_trained_in_chapter_3(condition, with_v):
    fig = diagrams.draw_architecture("one-to-many", steps=3, condition=condition)
    assert boxes(fig) == {"v", "h_0", "x_1", "x_2", "x_3", "h_1", "h_2", "h_3", "y_1", "y_2", "y_3"}
    assert arrows(fig) == {
        "W_vh", "W_xh:1", "W_xh:2", "W_xh:3", "W_hh:0->1", "W_hh:1->2", "W_hh:2->3",
        "W_hy:1", "W_hy:2", "W_hy:3", "feedback:1->2", "feedback:2->3",
    }  # fmt: skip
    contents = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if str(t.get_gid()).startswith("content:")}
    assert contents["content:x_1"] == (r"$[0,\ \phi]$" if with_v else "$[0]$")
    assert contents["content:x_3"] == (r"$[e(y_{2}),\ \phi]$" if with_v else "$[e(y_{2})]$")
    # the condition is written phi (notation page), while the element ids keep "v" and "W_vh"
    labels = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid() in ("text:v", "label:W_vh")}
    assert labels == {"text:v": r"$\phi$", "label:W_vh": r"$W_{\phi h}$"}
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_condition_errors():
    with pytest.raises(ValueError, match=r"condition must be None, 'initial' or 'every step'; got 'always'"):
        diagrams.draw_architecture("one-to-many", condition="always")
    with pytest.raises(ValueError, match=r"condition is for kind='one-to-many' only; got kind='many-to-one'"):
        diagrams.draw_architecture("many-to-one", condition="initial")


def test_encoder_decoder_with_decoder_inputs_as_chapter_3_writes_it():
    fig = diagrams.draw_architecture("encoder-decoder", steps=2, out_steps=3, decoder_inputs=True)
    assert boxes(fig) == {
        "x_1", "x_2", "h_1", "h_2", "s_0", "in_1", "in_2", "in_3", "s_1", "s_2", "s_3", "y_1", "y_2", "y_3",
    }  # fmt: skip
    assert arrows(fig) == {
        "W_xh:1", "W_xh:2", "W_hh:1->2", "context", "dec:0->1", "dec:1->2", "dec:2->3",
        "dec_in:1", "dec_in:2", "dec_in:3", "W_hy:1", "W_hy:2", "W_hy:3", "feedback:1->2", "feedback:2->3",
    }  # fmt: skip
    inputs = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if str(t.get_gid()).startswith("text:in_")}
    assert inputs == {
        "text:in_1": r"$e(\langle\mathrm{bos}\rangle)$", "text:in_2": "$e(y_{1})$", "text:in_3": "$e(y_{2})$",
    }  # fmt: skip
    # the feedback arrows end at the next step's input box, not at its state
    ends = {p.get_gid(): p._posA_posB for p in fig.axes[0].patches if str(p.get_gid()).startswith("feedback:")}
    x_in_2 = diagrams.COL * 2 + diagrams.COL * 2  # encoder columns 0 and COL, s_0 at 2 COL, in_2 at 4 COL
    end_x, end_y = ends["feedback:1->2"][1]
    assert end_x == pytest.approx(x_in_2 - diagrams.BOX_W / 2) and end_y < 0.5  # the input row is at y = 0
    # one more column than without the inputs, for s_0; the default figure is unchanged
    plain = diagrams.draw_architecture("encoder-decoder", steps=2, out_steps=3)
    assert fig.get_size_inches()[0] - plain.get_size_inches()[0] == pytest.approx(diagrams.COL)
    assert "s_0" not in boxes(plain) and "in_1" not in boxes(plain)
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_decoder_inputs_errors():
    with pytest.raises(ValueError, match=r"decoder_inputs is for kind='encoder-decoder' only; got kind='one-to-many'"):
        diagrams.draw_architecture("one-to-many", decoder_inputs=True)
    with pytest.raises(TypeError, match="decoder_inputs must be True or False; got int 1"):
        diagrams.draw_architecture("encoder-decoder", decoder_inputs=1)


# ---------------------------------------------------------------- the encoder-decoder trained and used (chapter 8)


def test_seq2seq_decoding_shows_bos_s0_teacher_forcing_and_feedback():
    fig = diagrams.draw_seq2seq_decoding(steps=3, out_steps=4)
    b, a = boxes(fig), arrows(fig)
    for p in ("train:", "infer:"):
        assert {f"{p}x_{j}" for j in (1, 2, 3)} | {f"{p}h_{j}" for j in (1, 2, 3)} | {f"{p}s_0"} <= b
        assert {f"{p}in_{t}" for t in range(1, 5)} | {f"{p}s_{t}" for t in range(1, 5)} <= b
        assert f"{p}context" in a and f"{p}dec:0->1" in a and f"{p}W_hy:4" in a
    # teacher forcing: no feedback in training; greedy decoding: each choice feeds the next step
    assert not any(g.startswith("train:feedback") for g in a)
    assert {g for g in a if g.startswith("infer:feedback")} == {"infer:feedback:1->2", "infer:feedback:2->3",
                                                                  "infer:feedback:3->4"}  # fmt: skip
    t = texts(fig)
    assert t.count(r"$\langle\mathrm{bos}\rangle$") == 2  # both panels start from <bos>
    assert "$y_{1}$" in t and r"$y^\ast_{1}$" in t and "$y_{3}$" in t and r"$y^\ast_{3}$" in t
    assert sum("teacher forcing" in s for s in t) == 1 and sum("its own previous choices" in s for s in t) == 1
    face = {p.get_gid(): to_hex(p.get_facecolor()) for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)}
    assert face["train:s_1"] == to_hex(diagrams.BOX_STYLES["decoder"]["facecolor"])
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_seq2seq_decoding_errors():
    with pytest.raises(ValueError, match="steps and out_steps must be at most 6 so the diagram fits; got 7 and 3"):
        diagrams.draw_seq2seq_decoding(7, 3)
    with pytest.raises(ValueError, match="out_steps must be a positive int; got 0"):
        diagrams.draw_seq2seq_decoding(3, 0)


# ---------------------------------------------------------------- the gated cells (chapter 6)


def circles(fig: Figure) -> set[str]:
    from matplotlib.patches import Circle

    return {p.get_gid() for p in fig.axes[0].patches if isinstance(p, Circle) and p.get_gid()}


def test_lstm_cell_draws_the_gates_the_nodes_and_the_cell_path():
    fig = diagrams.draw_lstm_cell()
    assert boxes(fig) == {"c_prev", "c_t", "h_prev", "x_t", "h_t", "i_t", "f_t", "c_tilde_t", "o_t"}
    assert circles(fig) == {"mul:f", "mul:i", "add:c", "tanh:c", "mul:o"}
    memory = {a for a in arrows(fig) if a.startswith("memory:")}
    assert memory == {"memory:c_prev->mul", "memory:mul->add", "memory:add->c_t"}  # c_{t-1} -> x f -> + -> c_t
    assert {r"$i_t$", r"$f_t$", r"$\tilde c_t$", r"$o_t$", r"$c_{t-1}$", r"$c_t$"} <= set(texts(fig))
    assert r"$g_t$" not in texts(fig)  # the candidate is c-tilde (issue 12)
    colours = {p.get_gid(): to_hex(p.get_edgecolor()) for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)}
    assert {colours[a] for a in memory} == {to_hex(diagrams.CELL_FLOW_COLOURS["memory"])}
    assert png_bytes(fig)[:4] == b"\x89PNG"


def test_gru_cell_draws_the_gates_the_nodes_and_the_additive_path():
    fig = diagrams.draw_gru_cell()
    assert boxes(fig) == {"h_prev_top", "h_t", "h_prev", "x_t", "r_t", "z_t", "n_t", "n_h_t"}
    assert circles(fig) == {"mul:z", "add:h", "one_minus:z", "mul:n", "mul:r", "add:n"}
    assert {a for a in arrows(fig) if a.startswith("memory:")} == {
        "memory:h_prev->mul", "memory:mul->add", "memory:add->h_t"}  # fmt: skip
    assert {r"$r_t$", r"$z_t$", r"$n_t$", r"$n^h_t$", r"$x_t W_{xn} + b_n$", r"$\tanh$"} <= set(texts(fig))
    assert r"$m_t$" not in texts(fig)  # the candidate's recurrent part is n^h_t (issue 12)
    assert png_bytes(fig)[:4] == b"\x89PNG"


def test_gru_cell_candidate_reads_h_prev_only_through_the_reset_gate():
    # ch6-eq-gru: n_t = tanh(x_t W_xn + b_n + r_t * n^h_t), n^h_t = h_{t-1} W_hn + b_hn
    from matplotlib.patches import Circle

    fig = diagrams.draw_gru_cell()
    (ax,) = fig.axes
    lines = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    patch = {p.get_gid(): p for p in ax.patches if p.get_gid()}
    x_join = lines["line:x_t"].get_xdata()[0]
    n_h, n_t = patch["n_h_t"], patch["n_t"]
    assert n_h.get_x() + n_h.get_width() < x_join  # n^h_t's feed leaves the bus before x_t joins it
    bus_end = max(lines["line:bus"].get_xdata())  # the bus of h_{t-1} and x_t feeds r_t and z_t, not n_t
    assert bus_end == pytest.approx(patch["z_t"].get_x() + patch["z_t"].get_width() / 2) and bus_end < n_t.get_x()
    add_n = patch["add:n"]
    assert isinstance(add_n, Circle) and add_n.center[1] < n_t.get_y()  # the sum is below n_t, which it feeds
    x_add, y_add = add_n.center

    def end(gid):
        return patch[gid]._posA_posB[1]

    assert end("value:r*n_h") == pytest.approx((x_add - add_n.radius, y_add))  # r_t * n^h_t in from the left
    assert end("input:x_t->n") == pytest.approx((x_add, y_add - add_n.radius))  # x_t's own line from below
    assert end("value:a_n") == pytest.approx((x_add, n_t.get_y()))  # then the tanh, into n_t
    x_line, y_line = lines["line:x_t->n"].get_data()  # x_t's line starts at its box and stays below the bus
    assert x_line[0] == pytest.approx(patch["x_t"].get_x() + patch["x_t"].get_width())
    assert max(y_line) < min(lines["line:bus"].get_ydata())
    # the product's line crosses the update gate's line with a hop, not a junction
    hop_x, hop_y = lines["hop:r*n_h"].get_data()
    z_line = patch["gate:z"]._posA_posB
    assert min(hop_x) < z_line[0][0] < max(hop_x) and z_line[0][1] < min(hop_y) < z_line[1][1]
    assert max(hop_y) > min(hop_y) + 0.05
