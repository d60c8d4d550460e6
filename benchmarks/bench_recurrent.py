"""Time forward + full BPTT of rnnlib's RNN, LSTM and GRU against torch.nn on the CPU.

Run:  .venv/bin/python benchmarks/bench_recurrent.py        (make bench does the same)

For every cell, dtype (float64, float32) and size, both libraries compute the same
thing: hidden states for a batch of sequences from a zero initial state, then the
gradients of sum(hs * G) for a fixed random G with respect to the input and every
parameter.  Each timing is the median of --repeats runs after --warmup untimed runs,
measured in this one process, so the ratio rnnlib / torch compares like with like on
this machine.  Targets (issue #6): at course sizes rnnlib takes at most 1/3 of torch's
time for the RNN and 1/2 for LSTM and GRU; at the large size, at most torch's time.
PyTorch is optional: without it, only rnnlib's times are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from rnnlib.recurrent import Recurrent

SIZES = {"course": dict(N=32, T=50, D=8, H=64), "large": dict(N=64, T=100, D=64, H=256)}
TARGETS = {("course", "rnn"): 1 / 3, ("course", "lstm"): 1 / 2, ("course", "gru"): 1 / 2}  # else 1.0


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rnnlib_step(cell: str, x: np.ndarray, G: np.ndarray, params: dict, layer: Recurrent) -> Callable[[], object]:
    def run() -> object:
        hs, cache = layer.forward(x, params)
        return layer.backward(G, cache)

    return run


def torch_step(torch, cell: str, x: np.ndarray, G: np.ndarray, params: dict, layer: Recurrent):  # noqa: ANN001
    dtype = {np.float32: torch.float32, np.float64: torch.float64}[x.dtype.type]
    D, H = layer.input_size, layer.hidden_size
    net = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](D, H, batch_first=True, dtype=dtype)
    with torch.no_grad():
        W_in, W_rec = (params["W_xh"], params["W_hh"]) if cell == "rnn" else (params["W_x"], params["W_h"])
        net.weight_ih_l0.copy_(torch.from_numpy(W_in.T.copy()))
        net.weight_hh_l0.copy_(torch.from_numpy(W_rec.T.copy()))
        net.bias_ih_l0.copy_(torch.from_numpy(params["b_h" if cell == "rnn" else "b"]))
        net.bias_hh_l0.zero_()  # rnnlib's init leaves the GRU's b_hn at zero too
    tx = torch.from_numpy(x).requires_grad_()
    tG = torch.from_numpy(G)

    def run() -> object:
        net.zero_grad(set_to_none=True)
        tx.grad = None
        out, _ = net(tx)
        out.backward(tG)
        return tx.grad

    # same maths as rnnlib: check once before timing
    out, _ = net(tx)
    hs, _ = layer.forward(x, params)
    tol = 1e-4 if x.dtype == np.float32 else 1e-10
    assert np.allclose(out.detach().numpy(), hs, atol=tol), f"{cell}: torch and rnnlib disagree"
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None

    if torch is not None and os.environ.get("OPENBLAS_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))  # same thread count on both sides
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; numpy {np.__version__}", end="")
    if torch is not None:
        print(f"; torch {torch.__version__} with {torch.get_num_threads()} threads", end="")
    print(f"; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset (all cores)')}", end="")
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"):  # glibc's allocator, set by the Makefile
        print(f"; {name}={os.environ.get(name, 'unset')}", end="")
    print()
    print(f"median of {args.repeats} runs after {args.warmup} warm-up runs; forward + full BPTT, h0 = 0\n")
    header = f"{'size':<7}{'N,T,D,H':<16}{'cell':<6}{'dtype':<9}{'rnnlib ms':>10}"
    header += f"{'torch ms':>10}{'ratio':>8}{'target':>8}  ok"
    print(header)
    print("-" * len(header))
    misses = 0
    for size in args.sizes:
        dims = SIZES[size]
        for cell in ("rnn", "lstm", "gru"):
            for dtype in (np.float64, np.float32):
                rng = np.random.default_rng(0)
                layer = Recurrent(cell, dims["D"], dims["H"])
                params = {k: v.astype(dtype) for k, v in layer.init(rng).items()}
                x = rng.standard_normal((dims["N"], dims["T"], dims["D"])).astype(dtype)
                G = rng.standard_normal((dims["N"], dims["T"], dims["H"])).astype(dtype)
                ours = median_seconds(rnnlib_step(cell, x, G, params, layer), args.repeats, args.warmup)
                shape = ",".join(map(str, dims.values()))
                line = f"{size:<7}{shape:<16}{cell:<6}{np.dtype(dtype).name:<9}{ours * 1e3:>10.2f}"
                if torch is None:
                    print(line)
                    continue
                theirs = median_seconds(torch_step(torch, cell, x, G, params, layer), args.repeats, args.warmup)
                target = TARGETS.get((size, cell), 1.0)
                ok = ours / theirs <= target
                misses += not ok
                print(f"{line}{theirs * 1e3:>10.2f}{ours / theirs:>8.2f}{target:>8.2f}  {'yes' if ok else 'NO'}")
    if torch is not None:
        print(f"\n{misses} of {3 * 2 * len(args.sizes)} comparisons miss their target")


if __name__ == "__main__":
    main()
