"""Optimisers: one step by hand, convergence on a quadratic, clipping, errors."""

import numpy as np
import pytest

from rnnlib import SGD, Adam, clip_grad_norm, global_norm


def test_sgd_step_by_hand():
    p = {"w": np.array([1.0, -1.0])}
    SGD(lr=0.1).step(p, {"w": np.array([2.0, 4.0])})
    np.testing.assert_allclose(p["w"], [0.8, -1.4])


def test_sgd_momentum_by_hand():
    p, g = {"w": np.array([0.0])}, {"w": np.array([1.0])}
    opt = SGD(lr=0.1, momentum=0.9)
    opt.step(p, g)
    opt.step(p, g)
    np.testing.assert_allclose(p["w"], [-0.1 - 0.19])


def test_adam_first_step_is_lr_times_sign():
    p = {"w": np.array([1.0, 1.0])}
    Adam(lr=0.01).step(p, {"w": np.array([3.0, -0.002])})
    np.testing.assert_allclose(p["w"], [0.99, 1.01], atol=1e-7)


@pytest.mark.parametrize("opt", [SGD(lr=0.1), SGD(lr=0.05, momentum=0.9), Adam(lr=0.1)])
def test_minimises_quadratic(opt):
    target = np.array([3.0, -2.0])
    p = {"w": np.zeros(2)}
    for _ in range(300):
        opt.step(p, {"w": 2 * (p["w"] - target)})
    np.testing.assert_allclose(p["w"], target, atol=1e-3)


def test_clip_grad_norm():
    g = {"a": np.array([3.0]), "b": np.array([4.0])}
    assert global_norm(g) == 5.0
    clipped, norm = clip_grad_norm(g, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose([clipped["a"][0], clipped["b"][0]], [0.6, 0.8])
    same, _ = clip_grad_norm(g, 10.0)
    np.testing.assert_array_equal(same["a"], g["a"])
    np.testing.assert_array_equal(g["a"], [3.0])  # inputs untouched


def test_errors():
    with pytest.raises(ValueError, match="lr must be a positive finite number; got 0"):
        SGD(lr=0)
    with pytest.raises(ValueError, match="lr must be a positive finite number; got -0.1"):
        Adam(lr=-0.1)
    with pytest.raises(TypeError, match="lr must be a positive number; got str"):
        Adam(lr="fast")
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\); got 1.0"):
        SGD(momentum=1.0)
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['c'\]"):
        SGD().step({"a": np.zeros(1), "b": np.zeros(1)}, {"a": np.zeros(1), "c": np.zeros(1)})
    with pytest.raises(ValueError, match=r"grads\['a'\] must have shape \(2,\)"):
        SGD().step({"a": np.zeros(2)}, {"a": np.zeros(3)})
    with pytest.raises(ValueError, match="max_norm must be a positive finite number; got 0"):
        clip_grad_norm({"a": np.zeros(1)}, 0)


def test_schedules():
    from rnnlib.optim import cosine_schedule, exponential_schedule

    assert cosine_schedule(0, 100, 1.0) == pytest.approx(1.0)
    assert cosine_schedule(50, 100, 1.0, 0.1) == pytest.approx(0.55)
    assert cosine_schedule(100, 100, 1.0, 0.1) == pytest.approx(0.1)
    assert cosine_schedule(0, 100, 1.0, warmup_steps=10) == pytest.approx(0.1)
    assert cosine_schedule(9, 100, 1.0, warmup_steps=10) == pytest.approx(1.0)
    assert exponential_schedule(25, 0.1, 0.5, every=10) == pytest.approx(0.025)
    with pytest.raises(ValueError, match=r"step must be in \[0, total_steps=100\]; got 101"):
        cosine_schedule(101, 100, 1.0)
    with pytest.raises(ValueError, match=r"decay must be in \(0, 1\]; got 2"):
        exponential_schedule(0, 0.1, 2)


@pytest.mark.parametrize("opt", [SGD(0.1), SGD(0.1, momentum=0.5), Adam(0.1)])
def test_optimisers_name_lists_int_and_read_only_arrays_before_any_update(opt):
    """Each of these used to fail deep inside numpy, or, for a list, update a copy silently."""
    good = np.zeros(2)
    with pytest.raises(TypeError, match=r"params\['W'\] must be a floating-point numpy array; got list"):
        opt.step({"W": [0.0, 0.0]}, {"W": good})
    with pytest.raises(
        TypeError, match=r"params\['W'\] must be a floating-point numpy array; got an array of dtype int64"
    ):
        opt.step({"W": np.zeros(2, dtype=np.int64)}, {"W": good})
    with pytest.raises(TypeError, match=r"grads\['W'\] must be a floating-point numpy array; got list"):
        opt.step({"W": np.zeros(2)}, {"W": [1.0, 1.0]})
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\['W'\] must be a writable array .*; got a read-only one"):
        opt.step({"W": frozen}, {"W": np.ones(2)})
    untouched = np.zeros(2)
    with pytest.raises(TypeError):
        opt.step({"V": untouched, "W": [0.0]}, {"V": np.ones(2), "W": np.ones(1)})
    assert not untouched.any()  # every argument is checked before the first update


def test_clip_grad_norm_checks_its_gradients_and_passes_non_finite_ones_through():
    with pytest.raises(TypeError, match="grads must be a dict of arrays; got list"):
        clip_grad_norm([np.ones(2)], 1.0)
    with pytest.raises(
        TypeError, match=r"grads\['b'\] must be a floating-point numpy array; got an array of dtype int64"
    ):
        clip_grad_norm({"b": np.array([3, 4])}, 1.0)
    for bad in (np.nan, np.inf):
        g = np.array([bad, 1.0])
        clipped, norm = clip_grad_norm({"g": g}, 1.0)
        assert not np.isfinite(norm)
        np.testing.assert_array_equal(clipped["g"], g)  # unscaled, as documented


def test_fit_checks_clip_norm_under_its_own_name_before_training():
    from rnnlib import ManyToOne, fit

    rng = np.random.default_rng(0)
    model = ManyToOne(vocab_size=4, hidden_size=2, rng=rng)
    before = {k: v.copy() for k, v in model.params.items()}
    data = (np.array([[1, 2], [3, 1]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="clip_norm must be a positive finite number; got -1"):
        fit(model, data, Adam(0.1), rng, epochs=1, clip_norm=-1)
    assert all(np.array_equal(before[k], model.params[k]) for k in before)


def test_weight_decay_by_hand():
    p = {"w": np.array([1.0, -2.0])}
    SGD(lr=0.1, weight_decay=0.5).step(p, {"w": np.zeros(2)})
    np.testing.assert_allclose(p["w"], [0.95, -1.9])  # shrinks by lr * weight_decay
    p = {"w": np.array([1.0, -2.0])}
    SGD(lr=0.1, weight_decay=0.5).step(p, {"w": np.array([1.0, 1.0])})
    np.testing.assert_allclose(p["w"], [0.95 - 0.1, -1.9 - 0.1])
    p = {"w": np.array([1.0, 1.0])}
    Adam(lr=0.01, weight_decay=0.1).step(p, {"w": np.array([3.0, 0.0])})  # decoupled: decay, then the Adam step
    np.testing.assert_allclose(p["w"], [0.999 - 0.01, 0.999], atol=1e-7)
    q = {"w": np.array([1.0, 1.0])}
    Adam(lr=0.01).step(q, {"w": np.array([3.0, 0.0])})
    np.testing.assert_allclose(q["w"], [0.99, 1.0], atol=1e-7)  # without decay the zero-gradient entry stays
    assert "weight_decay=0.1" in repr(Adam(weight_decay=0.1)) and "weight_decay" not in repr(Adam())
    with pytest.raises(ValueError, match="weight_decay must be a non-negative finite number; got -1"):
        Adam(weight_decay=-1)
    with pytest.raises(TypeError, match="weight_decay must be a non-negative number"):
        SGD(weight_decay="lots")


def test_adam_two_steps_by_hand():
    """The second step uses both decayed moments and the bias corrections 1 - beta**2."""
    p, opt = {"w": np.array([1.0])}, Adam(lr=0.1)
    opt.step(p, {"w": np.array([1.0])})
    np.testing.assert_allclose(p["w"], [1 - 0.1 / (1 + 1e-8)], rtol=1e-15)
    opt.step(p, {"w": np.array([3.0])})
    m_hat = (0.9 * 0.1 + 0.1 * 3.0) / (1 - 0.9**2)  # 0.39 / 0.19
    v_hat = (0.999 * 0.001 + 0.001 * 9.0) / (1 - 0.999**2)  # 0.009999 / 0.001999
    np.testing.assert_allclose(p["w"], [1 - 0.1 / (1 + 1e-8) - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)], rtol=1e-14)


def test_adam_eps_damps_gradients_as_small_as_eps():
    """eps is added to sqrt(v_hat): a gradient of 1e-8 takes half a step, not a full one (nor a
    division by zero)."""
    p = {"w": np.array([1.0])}
    Adam(lr=0.1, eps=1e-8).step(p, {"w": np.array([1e-8])})
    np.testing.assert_allclose(p["w"], [1 - 0.05], rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: Adam(0.1)])
def test_each_parameter_keeps_its_own_state(make):
    """Momentum and Adam's moments and step count are per parameter: two parameters with very
    different gradients move as each would alone."""
    both, opt = {"a": np.zeros(2), "b": np.zeros(2)}, make()
    grads = {"a": np.array([1.0, 1.0]), "b": np.array([-10.0, 0.5])}
    alone = {k: ({k: np.zeros(2)}, make()) for k in grads}
    for _ in range(3):
        opt.step(both, grads)
        for k, (p, single) in alone.items():
            single.step(p, {k: grads[k]})
    for k, (p, _) in alone.items():
        np.testing.assert_array_equal(both[k], p[k])
    if isinstance(opt, SGD):
        np.testing.assert_allclose(both["a"], [-0.1 * (1 + 1.9 + 2.71)] * 2)  # v = 0.9 v - lr g, three times


def test_optimisers_update_float32_parameters_in_float32():
    for opt in (SGD(0.1), SGD(0.1, momentum=0.5), Adam(0.1)):
        p = {"w": np.ones(2, dtype=np.float32)}
        opt.step(p, {"w": np.ones(2, dtype=np.float32)})
        assert p["w"].dtype == np.float32 and (p["w"] < 1).all()


def test_adam_weight_decay_is_proportional_to_the_parameter():
    p = {"w": np.array([2.0, -4.0])}
    Adam(lr=0.01, weight_decay=0.1).step(p, {"w": np.zeros(2)})  # a zero gradient: the decay alone
    np.testing.assert_allclose(p["w"], [2.0 * 0.999, -4.0 * 0.999], rtol=1e-15)


def test_optimiser_defaults_and_repr():
    """What a student sees when printing an optimiser, and the defaults the chapters rely on."""
    assert repr(SGD()) == "SGD(lr=0.1, momentum=0.0)"
    assert repr(SGD(0.5, 0.9, 0.01)) == "SGD(lr=0.5, momentum=0.9, weight_decay=0.01)"
    assert repr(Adam()) == "Adam(lr=0.01, beta1=0.9, beta2=0.999)"
    assert repr(Adam(0.1, 0.8, 0.99, weight_decay=0.5)) == "Adam(lr=0.1, beta1=0.8, beta2=0.99, weight_decay=0.5)"
    assert Adam().eps == 1e-8


def test_hyperparameter_errors_name_the_hyperparameter():
    from rnnlib.optim import cosine_schedule, exponential_schedule

    cases = [
        (lambda: SGD(momentum=-0.1), "momentum must be a non-negative finite number; got -0.1"),
        (lambda: Adam(beta1=1.0), r"beta1 must be in \[0, 1\); got 1.0"),
        (lambda: Adam(beta2=1.0), r"beta2 must be in \[0, 1\); got 1.0"),
        (lambda: Adam(beta2=-0.1), "beta2 must be a non-negative finite number; got -0.1"),
        (lambda: Adam(eps=0), "eps must be a positive finite number; got 0"),
        (lambda: cosine_schedule(0, 0, 1.0), "total_steps must be a positive finite number; got 0"),
        (lambda: cosine_schedule(0, 10, 0), "lr_max must be a positive finite number; got 0"),
        (lambda: cosine_schedule(0, 10, 1.0, -1), "lr_min must be a non-negative finite number; got -1"),
        (lambda: cosine_schedule(0, 10, 1.0, 0, -1), "warmup_steps must be a non-negative finite number; got -1"),
        (lambda: exponential_schedule(0, 0, 0.5), "lr0 must be a positive finite number; got 0"),
        (lambda: exponential_schedule(0, 1.0, 0), "decay must be a positive finite number; got 0"),
        (lambda: exponential_schedule(0, 1.0, 0.5, 0), "every must be a positive int; got 0"),
        (lambda: exponential_schedule(-1, 1.0, 0.5), "step must be non-negative; got -1"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(TypeError, match="params and grads must be dicts of arrays; got dict and list"):
        SGD().step({"a": np.zeros(1)}, [np.zeros(1)])
    p = {"w": np.array([1.0])}
    Adam(lr=0.1, beta1=0.0, beta2=0.0).step(p, {"w": np.array([-2.0])})  # 0 is allowed: no averaging
    np.testing.assert_allclose(p["w"], [1 + 0.1 * 2 / (2 + 1e-8)], rtol=1e-15)


def test_schedules_over_their_whole_range():
    from rnnlib.optim import cosine_schedule, exponential_schedule

    assert cosine_schedule(100, 100, 1.0) == 0.0  # lr_min defaults to 0
    # after a warm-up the half cosine runs over the remaining steps: peak, midpoint, end
    assert cosine_schedule(10, 110, 1.0, 0.1, warmup_steps=10) == pytest.approx(1.0, abs=1e-15)
    assert cosine_schedule(60, 110, 1.0, 0.1, warmup_steps=10) == pytest.approx(0.55, abs=1e-15)
    assert cosine_schedule(110, 110, 1.0, 0.1, warmup_steps=10) == pytest.approx(0.1, abs=1e-15)
    assert cosine_schedule(1, 1, 1.0) == pytest.approx(0.0, abs=1e-15)  # a one-step schedule still ends at lr_min
    assert exponential_schedule(0, 0.1, 0.5) == 0.1
    assert exponential_schedule(3, 1.0, 0.5) == 0.125  # every defaults to 1
    assert exponential_schedule(7, 0.1, 1.0, every=2) == 0.1  # decay 1 keeps the rate


def test_exponential_schedule_counts_whole_steps_between_decays():
    """every is a number of updates: a fraction is refused by name (0.5 divided by zero, 1.5 meant 1)."""
    from rnnlib.optim import exponential_schedule

    assert exponential_schedule(4, 1.0, 0.5, every=np.int64(2)) == 0.25
    for every in (0.5, 1.5):
        with pytest.raises(TypeError, match=f"every must be a positive int; got float {every}"):
            exponential_schedule(3, 1.0, 0.5, every=every)
