"""Attention (additive and scaled dot product), its masked softmax, and the attention
encoder-decoder of chapter 8: values by hand, gradients, masks, decoding, errors."""

import os

import numpy as np
import pytest

from rnnlib import Adam, check_gradients, check_layer_gradients, fit
from rnnlib.architectures import seq2seq_arrays
from rnnlib.attention import (
    AttentionEncoderDecoder,
    additive_attention_backward,
    additive_attention_forward,
    attention_weights,
    dot_attention_backward,
    dot_attention_forward,
    masked_softmax,
)
from rnnlib.metrics import sequence_accuracy

MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]], bool)  # (N, S) = (3, 4)


def additive_problem(rng, N=3, T=2, S=4, Hq=3, Hk=5, A=2):
    return (rng.standard_normal((N, T, Hq)), rng.standard_normal((N, S, Hk)), rng.standard_normal((Hq, A)),
            rng.standard_normal((Hk, A)), rng.standard_normal(A))  # fmt: skip


# ---------------------------------------------------------------- masked softmax


def test_masked_softmax_values_and_exact_zeros():
    w = masked_softmax(np.array([1.0, 2.0, 5.0]), np.array([1, 1, 0]))
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(w, [e[0] / e.sum(), e[1] / e.sum(), 0.0], rtol=1e-15)
    assert w[2] == 0.0  # exactly, not just small
    np.testing.assert_allclose(masked_softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75], rtol=1e-15)


def test_masked_softmax_is_stable_at_extreme_scores():
    # pytest turns RuntimeWarnings (overflow, invalid) into errors for the whole suite
    w = masked_softmax(np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, 5.0]]), np.array([[1, 1, 1], [1, 1, 0]]))
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w[0], [1 / (1 + np.exp(-1)), 0.0, np.exp(-1) / (1 + np.exp(-1))], rtol=1e-14)
    np.testing.assert_allclose(w[1], [0.5, 0.5, 0.0], rtol=1e-15)


def test_masked_softmax_source_mask_applies_to_every_output_step(rng):
    scores = rng.standard_normal((3, 2, 4))
    w = masked_softmax(scores, MASK)
    np.testing.assert_allclose(w.sum(axis=2), 1.0, rtol=1e-14)
    assert (w[~np.broadcast_to(MASK[:, None, :], w.shape)] == 0).all()
    np.testing.assert_array_equal(w[2, :, 0], 1.0)  # one real position takes all the weight
    np.testing.assert_allclose(w, masked_softmax(scores, np.broadcast_to(MASK[:, None, :], scores.shape)), rtol=0)


def test_masked_softmax_errors():
    with pytest.raises(ValueError, match=r"rows \[1\] are all 0"):
        masked_softmax(np.zeros((2, 3)), np.array([[1, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 3, 4\) or \(N, S\) = \(2, 4\) .*; got \(2, 3\)"):
        masked_softmax(np.zeros((2, 3, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="mask must hold only 0 and 1"):
        masked_softmax(np.zeros(3), np.array([1, 2, 0]))
    with pytest.raises(ValueError, match=r"scores must have shape \(\.\.\., S\) with S >= 1; got \(\)"):
        masked_softmax(np.float64(1.0))
    with pytest.raises(TypeError, match="scores must be a floating-point array"):
        masked_softmax(np.array([1, 2]))


# ---------------------------------------------------------------- additive attention


def test_additive_attention_by_hand():
    # one query, two keys, all sizes 1: score_j = v tanh(q w_q + h_j w_k)
    q, keys = np.array([[[0.5]]]), np.array([[[1.0], [-2.0]]])
    W_q, W_k, v = np.array([[0.8]]), np.array([[0.3]]), np.array([1.5])
    context, _cache = additive_attention_forward(q, keys, W_q, W_k, v)
    weights = attention_weights(_cache)
    e = 1.5 * np.tanh(0.4 + np.array([0.3, -0.6]))
    a = np.exp(e) / np.exp(e).sum()
    np.testing.assert_allclose(weights[0, 0], a, rtol=1e-15)
    assert context[0, 0, 0] == pytest.approx(a[0] * 1.0 + a[1] * -2.0, abs=1e-15)
    assert weights[0, 0, 0] == pytest.approx(0.7689895878863254, abs=1e-12)


@pytest.mark.parametrize("mask", [None, MASK])
@pytest.mark.parametrize("with_dweights", [False, True])
def test_additive_attention_gradients(rng, mask, with_dweights):
    args = additive_problem(rng)
    context, cache = additive_attention_forward(*args, mask)
    weights = attention_weights(cache)
    dc = rng.standard_normal(context.shape)
    dw = rng.standard_normal(weights.shape) if with_dweights else None
    grads = additive_attention_backward(dc, cache, dw)

    def f():
        c, _cache = additive_attention_forward(*args, mask)
        w = attention_weights(_cache)
        return float(np.sum(c * dc) + (np.sum(w * dw) if with_dweights else 0.0))

    names = ("query", "keys", "W_q", "W_k", "v")
    check_gradients(f, dict(zip(names, args)), dict(zip(names, grads)))


def test_additive_attention_single_step_batch_of_one(rng):
    args = additive_problem(rng, N=1, T=1, S=1)
    context, cache = additive_attention_forward(*args)
    weights = attention_weights(cache)
    np.testing.assert_array_equal(weights, 1.0)  # one key takes all the weight ...
    np.testing.assert_allclose(context[0, 0], args[1][0, 0], rtol=1e-15)  # ... so the context is that key
    dc = rng.standard_normal(context.shape)
    dq, dkeys, dW_q, dW_k, dv = additive_attention_backward(dc, cache)
    assert np.abs(dq).max() == 0 and np.abs(dW_q).max() == 0 and np.abs(dv).max() == 0  # scores cannot matter
    np.testing.assert_allclose(dkeys, dc, rtol=1e-15)


def test_additive_attention_ignores_padding(rng):
    query, keys, W_q, W_k, v = additive_problem(rng)
    context, cache = additive_attention_forward(query, keys, W_q, W_k, v, MASK)
    weights = attention_weights(cache)
    assert (weights[1, :, 2:] == 0).all() and (weights[2, :, 1:] == 0).all()
    keys2 = keys.copy()
    keys2[~MASK] = 1e3 * rng.standard_normal(((~MASK).sum(), keys.shape[2]))  # change only padded keys
    context2, _cache = additive_attention_forward(query, keys2, W_q, W_k, v, MASK)
    weights2 = attention_weights(_cache)
    np.testing.assert_array_equal(weights2, weights)
    np.testing.assert_array_equal(context2, context)
    _, dkeys, *_ = additive_attention_backward(rng.standard_normal(context.shape), cache)
    assert (dkeys[~MASK] == 0).all()  # padding receives no gradient


def test_additive_attention_errors(rng):
    query, keys, W_q, W_k, v = additive_problem(rng)
    with pytest.raises(ValueError, match=r"W_k must have shape \(Hk=5, A=2\) \(set by keys\); got \(4, 2\)"):
        additive_attention_forward(query, keys, W_q, W_k[:4], v)
    with pytest.raises(ValueError, match=r"keys must have shape \(N=3, S, Hk\) \(set by query\); got \(2, 4, 5\)"):
        additive_attention_forward(query, keys[:2], W_q, W_k, v)
    with pytest.raises(ValueError, match=r"mask must have shape \(N=3, S=4\)"):
        additive_attention_forward(query, keys, W_q, W_k, v, MASK[:, :3])
    with pytest.raises(ValueError, match=r"every row of mask needs at least one real .* rows \[2\] are all 0"):
        additive_attention_forward(query, keys, W_q, W_k, v, np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]))
    _, cache = additive_attention_forward(query, keys, W_q, W_k, v)
    with pytest.raises(ValueError, match=r"dcontext must have shape \(3, 2, 5\); got \(3, 2, 4\)"):
        additive_attention_backward(np.zeros((3, 2, 4)), cache)
    with pytest.raises(ValueError, match=r"dweights must have 3 dimensions, shape \(3, 2, 4\); got 2"):
        additive_attention_backward(np.zeros((3, 2, 5)), cache, np.zeros((3, 2)))


# ---------------------------------------------------------------- dot-product attention


def test_dot_attention_by_hand_and_scaling():
    q = np.array([[[1.0, 2.0]]])
    keys = np.array([[[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]]])
    for scale, c in ((True, 1 / np.sqrt(2)), (False, 1.0)):
        context, _cache = dot_attention_forward(q, keys, np.array([[1, 1, 0]]), scale=scale)
        weights = attention_weights(_cache)
        e = np.exp(c * np.array([1.0, 2.0]))
        np.testing.assert_allclose(weights[0, 0], [e[0] / e.sum(), e[1] / e.sum(), 0.0], rtol=1e-15)
        np.testing.assert_allclose(context[0, 0], weights[0, 0, :2], rtol=1e-15)  # keys 1, 2 are e_1, e_2


@pytest.mark.parametrize("mask", [None, MASK])
@pytest.mark.parametrize("scale", [True, False])
def test_dot_attention_gradients(rng, mask, scale):
    query, keys = rng.standard_normal((3, 2, 5)), rng.standard_normal((3, 4, 5))
    context, cache = dot_attention_forward(query, keys, mask, scale)
    weights = attention_weights(cache)
    dc, dw = rng.standard_normal(context.shape), rng.standard_normal(weights.shape)
    grads = dot_attention_backward(dc, cache, dw)

    def f():
        c, _cache = dot_attention_forward(query, keys, mask, scale)
        w = attention_weights(_cache)
        return float(np.sum(c * dc) + np.sum(w * dw))

    check_gradients(f, {"query": query, "keys": keys}, dict(zip(("query", "keys"), grads)))
    # without dweights, only the context's gradient flows
    dq, dk = dot_attention_backward(dc, cache)
    check_layer_gradients(lambda: dot_attention_forward(query, keys, mask, scale)[0], [query, keys], [dq, dk], dc)


def test_dot_attention_errors(rng):
    with pytest.raises(ValueError, match=r"keys must have shape \(N=1, S, H=3\) \(set by query\); got \(1, 2, 4\)"):
        dot_attention_forward(np.zeros((1, 1, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(TypeError, match="scale must be True or False; got int 1"):
        dot_attention_forward(np.zeros((1, 1, 3)), np.zeros((1, 2, 3)), scale=1)
    _, cache = dot_attention_forward(np.zeros((1, 1, 3)), np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"dcontext must have 3 dimensions, shape \(1, 1, 3\); got 2"):
        dot_attention_backward(np.zeros((1, 3)), cache)


def import_torch():
    """PyTorch for a cross-check; skipped where it is not installed, except in CI (CI=true),
    where a skip would hide the check, so a missing torch fails instead."""
    if os.environ.get("CI"):
        import torch

        return torch
    return pytest.importorskip("torch")


def test_attention_matches_torch_autograd(rng):
    th = import_torch()
    query, keys, W_q, W_k, v = additive_problem(rng)
    dc = rng.standard_normal((3, 2, 5))
    context, cache = additive_attention_forward(query, keys, W_q, W_k, v, MASK)
    weights = attention_weights(cache)
    grads = additive_attention_backward(dc, cache)
    t = [th.from_numpy(a).requires_grad_() for a in (query, keys, W_q, W_k, v)]
    scores = th.tanh((t[0] @ t[2])[:, :, None] + (t[1] @ t[3])[:, None]) @ t[4]
    scores = scores.masked_fill(~th.from_numpy(MASK)[:, None, :], float("-inf"))
    tw = th.softmax(scores, dim=-1)
    tc = tw @ t[1]
    tc.backward(th.from_numpy(dc))
    np.testing.assert_allclose(weights, tw.detach().numpy(), atol=1e-14)
    np.testing.assert_allclose(context, tc.detach().numpy(), atol=1e-14)
    for g, ta in zip(grads, t):
        np.testing.assert_allclose(g, ta.grad.numpy(), atol=1e-12)
    # scaled dot product: torch's own function
    q2 = rng.standard_normal((3, 2, 5))
    c2, cache2 = dot_attention_forward(q2, keys, MASK)
    tq, tk = th.from_numpy(q2).requires_grad_(), th.from_numpy(keys).requires_grad_()
    tc2 = th.nn.functional.scaled_dot_product_attention(tq, tk, tk, attn_mask=th.from_numpy(MASK)[:, None, :])
    tc2.backward(th.from_numpy(dc))
    np.testing.assert_allclose(c2, tc2.detach().numpy(), atol=1e-14)
    for g, ta in zip(dot_attention_backward(dc, cache2), (tq, tk)):
        np.testing.assert_allclose(g, ta.grad.numpy(), atol=1e-12)


# ---------------------------------------------------------------- the attention encoder-decoder

DATA = seq2seq_arrays([[4, 5, 1], [2], [3, 3]], [[4, 5], [6, 6, 4, 5], []], eos_id=3)  # S = 3, T = 5


def perturbed(model, rng, scale=0.5):
    """Move every parameter away from its initial value, so no gradient is small by symmetry."""
    for p in model.params.values():
        p += scale * rng.standard_normal(p.shape)
    return model


def assert_model_gradients(model, data, rng, tol=1e-7):
    scores, cache = model.forward(*data)
    dscores = rng.standard_normal(scores.shape)
    grads = model.backward(dscores, cache)
    check_layer_gradients(lambda: model.forward(*data)[0], model.params, grads, dscores, rtol=tol)
    for k in model.params:
        assert np.abs(grads[k]).max() > 0, k


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("score", ["additive", "dot"])
def test_attention_model_gradients_every_parameter(rng, cell, bidirectional, score):
    model = AttentionEncoderDecoder(
        6, 7, 3, rng, bos_id=2, eos_id=3, embedding_size=2, cell=cell, bidirectional=bidirectional, score=score,
        attention_size=4,
    )  # fmt: skip
    assert_model_gradients(perturbed(model, rng), DATA, rng)


def test_attention_model_loss_gradients_one_hot(rng):
    model = perturbed(AttentionEncoderDecoder(6, 7, 2, rng, bos_id=2, eos_id=3), rng)
    loss, grads = model.loss(*DATA)
    assert np.isfinite(loss) and "enc_E" not in model.params and "dec_E" not in model.params
    check_gradients(lambda: model.loss(*DATA)[0], model.params, grads)


def test_attention_model_single_steps_batch_of_one(rng):
    model = perturbed(AttentionEncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=3, embedding_size=2), rng)
    src, tgt = np.array([[1]]), np.array([[3]])  # S = T = 1
    scores, cache = model.forward(src, tgt)
    assert scores.shape == (1, 1, 5) and cache["weights"].shape == (1, 1, 1)
    assert cache["weights"][0, 0, 0] == 1.0
    dscores = rng.standard_normal(scores.shape)
    grads = model.backward(dscores, cache)
    check_layer_gradients(lambda: model.forward(src, tgt)[0], model.params, grads, dscores)


def test_attention_model_forward_by_hand(rng):
    # S = 1, T = 1, vanilla cells, one-hot inputs, H = 1, unidirectional: every number by hand
    model = AttentionEncoderDecoder(2, 4, 1, rng, bos_id=2, eos_id=3, cell="rnn", bidirectional=False)
    values = {"enc_W_xh": [[0.0], [0.5]], "enc_W_hh": [[0.9]], "enc_b_h": [0.1], "W_init": [[2.0]], "b_init": [0.3],
              "att_W_q": [[1.0]], "att_W_k": [[1.0]], "att_v": [1.0], "dec_W_xh": [[0.1], [0.2], [0.3], [0.4], [-0.7]],
              "dec_W_hh": [[0.6]], "dec_b_h": [-0.2], "W_hy": [[1.0, 0.0, -1.0, 2.0], [0.5, 0.5, 0.5, 0.5]],
              "b_y": [0.0, 0.1, 0.2, 0.3]}  # fmt: skip
    assert values.keys() == model.params.keys()
    for k, v in values.items():
        model.params[k][...] = v
    h1 = np.tanh(0.5 + 0.1)  # encoder reads source token 1
    s0 = np.tanh(2.0 * h1 + 0.3)
    c1 = h1  # one source position: all the weight
    s1 = np.tanh(0.3 + (-0.7) * c1 + 0.6 * s0 - 0.2)  # decoder reads [one-hot(<bos>), c1]
    expected = s1 * np.array([1.0, 0.0, -1.0, 2.0]) + c1 * 0.5 + np.array([0.0, 0.1, 0.2, 0.3])
    scores, _ = model.forward(np.array([[1]]), np.array([[3]]))
    np.testing.assert_allclose(scores[0, 0], expected, rtol=1e-14)


def test_attention_model_padding_changes_nothing(rng):
    model = perturbed(AttentionEncoderDecoder(6, 7, 4, rng, bos_id=2, eos_id=3, embedding_size=3), rng, 0.2)
    alone, cache_alone = model.forward(np.array([[4, 5]]), np.array([[6, 3]]))
    src, tgt, sm, tm = seq2seq_arrays([[4, 5], [1, 2, 3, 4]], [[6], [4, 4, 4, 6]], eos_id=3)
    scores, cache = model.forward(src, tgt, sm, tm)
    np.testing.assert_allclose(scores[0, :2], alone[0], atol=1e-14)
    np.testing.assert_allclose(cache["weights"][0, :2, :2], cache_alone["weights"][0], atol=1e-14)
    assert (cache["weights"][0, :, 2:] == 0).all()  # padded source positions: exactly no attention
    np.testing.assert_allclose(cache["weights"].sum(axis=2), 1.0, rtol=1e-14)
    tgt2 = tgt.copy()
    tgt2[0, 2:] = 5  # target ids at padded steps are ignored
    assert model.loss(src, tgt, sm, tm)[0] == model.loss(src, tgt2, sm, tm)[0]


@pytest.mark.parametrize("score", ["additive", "dot"])
def test_translate_agrees_with_teacher_forcing_and_returns_attention(rng, score):
    model = perturbed(AttentionEncoderDecoder(6, 7, 5, rng, bos_id=2, eos_id=3, embedding_size=3, score=score), rng)
    model.params["b_y"][3] = -50.0  # never stop: every output runs to max_len
    src, _, sm, _ = seq2seq_arrays([[4, 5, 1], [2]], [[4], [4]], eos_id=3)
    outputs, weights = model.translate_with_attention(src, sm, max_len=4)
    assert [len(o) for o in outputs] == [4, 4] and weights.shape == (2, 5, 3)
    tgt = np.array(outputs)
    scores, cache = model.forward(src, tgt, sm)
    np.testing.assert_array_equal(scores.argmax(axis=2), tgt)  # greedy = argmax given its own history
    np.testing.assert_allclose(weights[:, :4], cache["weights"], atol=1e-14)
    assert (weights[1, :, 1:] == 0).all()
    assert model.translate(src, sm, max_len=4) == outputs
    model.params["b_y"][3] = 50.0  # always stop at once
    assert model.translate(src, sm, max_len=4) == [[], []]


def test_attention_model_learns_to_reverse():
    # Reverse sequences of 1 to 4 tokens from {4, 5, 6}: the alignment is the anti-diagonal.
    rng = np.random.default_rng(0)
    seqs = [list(s) for n in (1, 2, 3, 4) for s in np.ndindex(*(3,) * n)]
    sources = [[4 + t for t in s] for s in seqs]
    targets = [s[::-1] for s in sources]
    data = seq2seq_arrays(sources, targets, eos_id=3)
    model = AttentionEncoderDecoder(7, 7, 12, rng, bos_id=2, eos_id=3, embedding_size=6)
    fit(model, data, Adam(lr=0.02), rng, epochs=25, batch_size=20)
    outputs, weights = model.translate_with_attention(data[0], data[2], max_len=6)
    exact, _ = sequence_accuracy(outputs, targets)
    assert exact == 1.0
    # each output token looks hardest at the source token it copies
    n4 = [i for i, s in enumerate(sources) if len(s) == 4]
    assert (weights[n4, :4].argmax(axis=2) == [3, 2, 1, 0]).mean() > 0.9


def test_attention_model_errors_and_repr(rng):
    with pytest.raises(ValueError, match=r"cell must be one of \['gru', 'lstm', 'rnn'\]; got 'tanh'"):
        AttentionEncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=3, cell="tanh")
    with pytest.raises(ValueError, match="score must be 'additive' or 'dot'; got 'cosine'"):
        AttentionEncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=3, score="cosine")
    with pytest.raises(ValueError, match=r"eos_id must be a target id in \[0, 5\); got int 5"):
        AttentionEncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=5)
    with pytest.raises(ValueError, match="bos_id and eos_id must differ; both are 2"):
        AttentionEncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=2)
    with pytest.raises(TypeError, match="bidirectional must be True or False; got int 1"):
        AttentionEncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=3, bidirectional=1)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        AttentionEncoderDecoder(4, 5, 2, 0, bos_id=2, eos_id=3)
    model = AttentionEncoderDecoder(4, 5, 2, rng, bos_id=2, eos_id=3, embedding_size=3)
    with pytest.raises(ValueError, match=r"tgt must have shape \(N=2, T\) \(set by src\); got \(1, 2\)"):
        model.loss(np.ones((2, 3), int), np.ones((1, 2), int))
    with pytest.raises(ValueError, match=r"src must hold ids in \[0, 4\); got 4"):
        model.translate(np.array([[4]]))
    with pytest.raises(ValueError, match=r"every source needs at least one real token; src_mask rows \[1\]"):
        model.forward(np.ones((2, 2), int), np.ones((2, 1), int), np.array([[1, 0], [0, 0]]))
    with pytest.raises(ValueError, match="max_len must be a positive int; got 0"):
        model.translate(np.ones((1, 2), int), max_len=0)
    assert model.num_parameters() == sum(p.size for p in model.params.values())
    assert repr(model) == (
        "AttentionEncoderDecoder(src_vocab_size=4, tgt_vocab_size=5, hidden_size=2, embedding_size=3, cell='gru', "
        f"bidirectional=True, score='additive', attention_size=2, parameters={model.num_parameters()})"
    )


def test_embeddings_start_as_init_embedding_draws_and_the_count_is_count_parameters():
    """The source table is the first draw (init.embedding, scale 0.1): chapter 8's numbers depend on it."""
    from rnnlib.init import embedding
    from rnnlib.models import count_parameters

    model = AttentionEncoderDecoder(6, 7, 4, np.random.default_rng(5), bos_id=2, eos_id=3, embedding_size=3)
    np.testing.assert_array_equal(model.params["enc_E"], embedding(np.random.default_rng(5), 6, 3))
    np.testing.assert_array_equal(model.params["enc_E"], 0.1 * np.random.default_rng(5).standard_normal((6, 3)))
    assert model.params["dec_E"].shape == (7, 3) and 0.05 < model.params["dec_E"].std() < 0.2
    assert model.num_parameters() == count_parameters(model.params)


# ---------------------------------------------------------------- self-attention: causal masks and positions


def test_causal_mask_per_query(rng):
    N, T, H = 2, 4, 3
    q, k = rng.standard_normal((N, T, H)), rng.standard_normal((N, T, H))
    causal = np.broadcast_to(np.tril(np.ones((T, T), bool)), (N, T, T))
    context, cache = dot_attention_forward(q, k, causal)
    weights = attention_weights(cache)
    upper = np.triu(np.ones((T, T), bool), 1)
    assert (weights[:, upper] == 0).all()  # no peeking ahead
    np.testing.assert_allclose(context[:, 0], k[:, 0], rtol=1e-15)  # the first query sees only the first key
    k2 = k.copy()
    k2[:, -1] += 1.0  # a change to the last key changes only the last output
    np.testing.assert_array_equal(dot_attention_forward(q, k2, causal)[0][:, :-1], context[:, :-1])
    dc = rng.standard_normal(context.shape)
    check_layer_gradients(lambda: dot_attention_forward(q, k, causal)[0], [q, k], dot_attention_backward(dc, cache), dc)
    args = additive_problem(rng, N=2, T=4, S=4)
    context, cache = additive_attention_forward(*args, causal)
    weights = attention_weights(cache)
    assert (weights[~causal] == 0).all()
    dc = rng.standard_normal(context.shape)
    grads = additive_attention_backward(dc, cache)
    check_layer_gradients(lambda: additive_attention_forward(*args, causal)[0], list(args), list(grads), dc)
    with pytest.raises(ValueError, match=r"mask must have shape \(N=2, T=4, S=4\)"):
        dot_attention_forward(q, k, causal[:, :3])


def test_sinusoidal_positions_values_and_errors():
    from rnnlib.attention import sinusoidal_positions

    P = sinusoidal_positions(5, 4)
    assert P.shape == (5, 4) and np.abs(P).max() <= 1
    np.testing.assert_array_equal(P[0], [0.0, 1.0, 0.0, 1.0])  # sin 0, cos 0 at every frequency
    np.testing.assert_allclose(P[3], [np.sin(3), np.cos(3), np.sin(3 / 100), np.cos(3 / 100)], rtol=1e-15)
    assert len({tuple(row) for row in P.round(12)}) == 5  # every position has its own code
    with pytest.raises(ValueError, match="size must be even"):
        sinusoidal_positions(5, 3)
    with pytest.raises(ValueError, match="length must be a positive int; got 0"):
        sinusoidal_positions(0, 4)


def test_self_attention_is_order_blind_until_positions_are_added(rng):
    from rnnlib.attention import sinusoidal_positions

    x = rng.standard_normal((1, 6, 8))
    perm = np.array([3, 0, 5, 1, 4, 2])
    context, _ = dot_attention_forward(x, x)
    shuffled, _ = dot_attention_forward(x[:, perm], x[:, perm])
    np.testing.assert_allclose(shuffled, context[:, perm], atol=1e-14)  # permuting the input permutes the output
    xp = x + sinusoidal_positions(6, 8)
    xs = x[:, perm] + sinusoidal_positions(6, 8)
    context_p, _ = dot_attention_forward(xp, xp)
    shuffled_p, _ = dot_attention_forward(xs, xs)
    assert not np.allclose(shuffled_p, context_p[:, perm], atol=1e-3)


# ---------------------------------------------------------------- accuracy with teacher forcing and running free


@pytest.mark.parametrize("plain", [False, True])
def test_translation_accuracy_by_hand_for_a_model_that_always_stops(rng, plain):
    from rnnlib.architectures import EncoderDecoder
    from rnnlib.metrics import translation_accuracy

    model = (EncoderDecoder if plain else AttentionEncoderDecoder)(6, 7, 3, rng, bos_id=2, eos_id=3, embedding_size=2)
    model.params["b_y"][3] = 50.0  # <eos> wins every step: empty translations
    src, tgt, sm, tm = seq2seq_arrays([[4, 5, 1], [2], [3, 3], [1]], [[4, 5], [6, 6, 4, 5], [], [4]], eos_id=3)
    acc = translation_accuracy(model, src, tgt, sm, tm, groups=np.array([3, 1, 2, 1]))
    assert acc["forced"] == pytest.approx(4 / 11)  # only the four <eos> steps, of 3 + 5 + 1 + 2 real steps
    assert acc["free"] == pytest.approx(1 / 11)  # only the empty target's stop is right
    assert acc["exact"] == pytest.approx(1 / 4)
    np.testing.assert_array_equal(acc["groups"], [1, 2, 3])
    np.testing.assert_allclose(acc["forced_by_group"], [2 / 7, 1.0, 1 / 3])
    np.testing.assert_allclose(acc["free_by_group"], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(acc["exact_by_group"], [0.0, 1.0, 0.0])


def test_translation_accuracy_agrees_with_its_definitions(rng):
    from rnnlib.metrics import masked_accuracy, translation_accuracy

    model = perturbed(AttentionEncoderDecoder(6, 7, 4, rng, bos_id=2, eos_id=3, embedding_size=3), rng)
    sources = [[4, 5, 1], [2], [3, 3], [1, 1, 4, 5]]
    targets = [[4, 5], [6, 6, 4, 5], [4], [6]]
    data = seq2seq_arrays(sources, targets, eos_id=3)
    acc = translation_accuracy(model, *data, max_len=6)
    scores, _ = model.forward(*data)
    assert acc["forced"] == masked_accuracy(scores.argmax(axis=2), data[1], data[3])
    assert (acc["exact"], acc["free"]) == sequence_accuracy(model.translate(data[0], data[2], max_len=6), targets)
    assert "groups" not in acc
    tgt = data[1].copy()
    tgt[1, 4] = 4  # row 1 (four words and <eos>) loses its <eos>
    with pytest.raises(ValueError, match=r"every target must end with <eos> \(id 3\) at its last real step; row 1"):
        translation_accuracy(model, data[0], tgt, data[2], data[3])


# ---------------------------------------------------------------- how far the loss reaches into the source


@pytest.mark.parametrize("plain", [False, True])
def test_source_gradient_norms_match_finite_differences(rng, plain):
    from rnnlib import log_softmax, numerical_gradient, rel_error
    from rnnlib.architectures import EncoderDecoder
    from rnnlib.attention import source_gradient_norms

    cls = EncoderDecoder if plain else AttentionEncoderDecoder
    kwargs = {"cell": "gru"} if plain else {"bidirectional": False}
    model = perturbed(cls(7, 7, 4, rng, bos_id=2, eos_id=3, embedding_size=3, **kwargs), rng)
    # Within a pair every source word is different, so the embedding row of a word is that position's input.
    data = seq2seq_arrays([[4, 5, 1, 6], [2, 6], [3, 1, 5]], [[4, 5], [6, 6, 4, 5], [4]], eos_id=3)
    src, tgt, sm, tm = data
    E_before = model.params["enc_E"].copy()
    G = source_gradient_norms(model, *data)
    np.testing.assert_array_equal(model.params["enc_E"], E_before)  # the model is left as it was
    assert G.shape == (3, 5, 4)
    assert (G[~np.broadcast_to(sm[:, None, :], G.shape)] == 0).all()  # padded source words
    assert (G[~np.broadcast_to(tm[:, :, None], G.shape)] == 0).all()  # padded output steps
    for n, t in [(0, 0), (0, 2), (1, 4), (2, 1)]:

        def step_loss(n=n, t=t):
            scores, _ = model.forward(src, tgt, sm, tm)
            return -float(log_softmax(scores[n, t])[tgt[n, t]])

        numeric = numerical_gradient(step_loss, model.params["enc_E"])  # (V, D): row src[n, j] is dL_nt/dx_nj
        expected = [np.linalg.norm(numeric[src[n, j]]) if sm[n, j] else 0.0 for j in range(src.shape[1])]
        assert rel_error(G[n, t], np.array(expected)) < 1e-7


def test_source_gradient_norms_of_a_plain_model_reach_every_source_word(rng):
    from rnnlib.architectures import EncoderDecoder
    from rnnlib.attention import source_gradient_norms

    model = perturbed(EncoderDecoder(7, 7, 4, rng, bos_id=2, eos_id=3, embedding_size=3, cell="gru"), rng)
    data = seq2seq_arrays([[4, 5, 1, 6]], [[4, 5, 6]], eos_id=3)
    G = source_gradient_norms(model, *data)
    assert (G[0] > 0).all()  # every output step reaches every source word through the context


def test_source_gradient_norms_errors(rng):
    from rnnlib.attention import source_gradient_norms

    one_hot_model = AttentionEncoderDecoder(6, 7, 3, rng, bos_id=2, eos_id=3)
    data = seq2seq_arrays([[4, 5]], [[4]], eos_id=3)
    with pytest.raises(ValueError, match=r"build it with embedding_size=\.\.\.\); it has no parameter 'enc_E'"):
        source_gradient_norms(one_hot_model, *data)
    model = AttentionEncoderDecoder(6, 7, 3, rng, bos_id=2, eos_id=3, embedding_size=2)
    with pytest.raises(ValueError, match="src"):
        source_gradient_norms(model, np.array([[4, 9]]), data[1])


def test_lstm_decoder_carries_its_cell_state_between_steps(rng):
    model = perturbed(AttentionEncoderDecoder(6, 7, 3, rng, bos_id=2, eos_id=3, embedding_size=2, cell="lstm"), rng)
    scores, cache = model.forward(*DATA)
    # the one-step calls chain the cell state: step t starts from the cell state step t - 1 ended with
    for prev, step in zip(cache["steps"], cache["steps"][1:]):
        np.testing.assert_array_equal(step["rnn"]["caches"][0]["c0"], prev["cell"])
    # greedy decoding and the teacher-forced pass agree on the path greedy decoding takes
    src, _, sm, _ = DATA
    outputs = model.translate(src, sm, max_len=4)
    for n, out in enumerate(outputs):
        if len(out) < 4:  # ended with <eos>: its teacher-forced argmax reproduces every token
            tgt = np.array([out + [3]])
            forced, _ = model.forward(src[n : n + 1], tgt, sm[n : n + 1])
            assert forced[0].argmax(axis=1).tolist() == out + [3]


def test_attention_forward_returns_output_and_cache_like_every_layer(rng):
    from rnnlib.attention import attention_weights

    args = additive_problem(rng)
    out = additive_attention_forward(*args, MASK)
    assert len(out) == 2 and isinstance(out[1], dict)
    np.testing.assert_allclose(attention_weights(out[1]).sum(axis=2), 1.0, rtol=1e-14)
    out = dot_attention_forward(args[1], args[1], MASK)
    assert len(out) == 2 and attention_weights(out[1]).shape == (3, 4, 4)
    model = AttentionEncoderDecoder(6, 7, 3, rng, bos_id=2, eos_id=3)
    _, cache = model.forward(*DATA)
    assert attention_weights(cache).shape == (3, 5, 3)
    with pytest.raises(TypeError, match="cache must be the dict returned by an attention forward pass; got list"):
        attention_weights([1])
    with pytest.raises(TypeError, match="this one has no 'weights'"):
        attention_weights({"query": 1})
