"""rnnlib limits BLAS to one thread at import, unless the environment chose a count."""

import json
import os
import subprocess
import sys

import pytest

from rnnlib._threads import THREAD_VARIABLES

PROBE = (
    "import json, threadpoolctl, rnnlib; "
    "print(json.dumps([p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']))"
)


def blas_threads(**env: str) -> list[int]:
    """The BLAS thread counts of a fresh interpreter that imported rnnlib."""
    clean = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    out = subprocess.run([sys.executable, "-c", PROBE], env=clean | env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_readers_kernel_gets_one_blas_thread():
    """Colab or a laptop sets no OPENBLAS_NUM_THREADS; rnnlib must limit the threads itself."""
    counts = blas_threads()
    assert counts and all(n == 1 for n in counts)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to tell two threads from one")
def test_a_thread_count_chosen_in_the_environment_wins():
    assert all(n == 2 for n in blas_threads(OPENBLAS_NUM_THREADS="2"))
