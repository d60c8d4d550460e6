"""Saving and loading parameters: round trip, and clear errors for bad files."""

import numpy as np
import pytest

from rnnlib.io import load_into, load_params, save_params


def test_round_trip(tmp_path, rng):
    params = {"W": rng.standard_normal((3, 2)), "b": np.zeros(2, np.float32)}
    save_params(tmp_path / "m.npz", params, {"hidden_size": 2, "cell": "gru"})
    loaded, meta = load_params(tmp_path / "m.npz")
    assert meta == {"hidden_size": 2, "cell": "gru"}
    np.testing.assert_array_equal(loaded["W"], params["W"])
    assert loaded["b"].dtype == np.float32
    target = {"W": np.zeros((3, 2)), "b": np.ones(2, np.float32)}
    load_into(target, tmp_path / "m.npz")
    np.testing.assert_array_equal(target["W"], params["W"])


def test_truncated_file(tmp_path, rng):
    save_params(tmp_path / "m.npz", {"W": rng.standard_normal((50, 50))})
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.npz is not a readable rnnlib parameter file"):
        load_params(tmp_path / "cut.npz")


def test_foreign_files_never_unpickle(tmp_path):
    np.savez(tmp_path / "other.npz", W=np.zeros(2))
    with pytest.raises(ValueError, match="was not written by rnnlib.save_params"):
        load_params(tmp_path / "other.npz")
    # an object array would need pickle to load: it must be refused, not executed
    np.savez(tmp_path / "evil.npz", W=np.array([{"a": 1}], dtype=object), __rnnlib_format__=np.array("rnnlib-params-1"))
    with pytest.raises(ValueError, match="not a readable rnnlib parameter file"):
        load_params(tmp_path / "evil.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a readable rnnlib parameter file"):
        load_params(tmp_path / "text.npz")


def test_mismatch_errors(tmp_path):
    save_params(tmp_path / "m.npz", {"W": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"holds parameters \['W'\]; the model expects \['W', 'b'\]"):
        load_into({"W": np.zeros((2, 2)), "b": np.zeros(2)}, tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"W has shape \(2, 2\); the model expects \(3, 2\)"):
        load_into({"W": np.zeros((3, 2))}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="params must be a non-empty dict of arrays"):
        save_params(tmp_path / "x.npz", {})
    with pytest.raises(TypeError, match="metadata must be JSON-serialisable"):
        save_params(tmp_path / "x.npz", {"W": np.zeros(1)}, {"f": object()})


def test_a_path_without_suffix_round_trips(tmp_path):
    """np.savez adds .npz to a bare name; save_params writes exactly the path it is given."""
    save_params(tmp_path / "model", {"W": np.ones((2, 2))})
    assert (tmp_path / "model").exists() and not (tmp_path / "model.npz").exists()
    loaded, _ = load_params(tmp_path / "model")
    np.testing.assert_array_equal(loaded["W"], np.ones((2, 2)))
    save_params(str(tmp_path / "other"), {"W": np.zeros(3)})
    assert load_params(str(tmp_path / "other"))[0]["W"].shape == (3,)


def test_a_npy_file_is_named_as_a_single_array(tmp_path):
    np.save(tmp_path / "w.npy", np.ones(3))
    with pytest.raises(ValueError, match=r"w.npy is not a readable rnnlib parameter file: it holds a single array"):
        load_params(tmp_path / "w.npy")
