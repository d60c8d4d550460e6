"""One BLAS thread for the course's small matrices, in whatever kernel runs the chapters.

The course multiplies matrices of tens to a few hundred rows. At that size OpenBLAS's
threads cost more than they save, and on a small shared machine (a 2-core CI runner, a
Binder container allowed one core) they contend: with the default threading, chapter 6
took 52 s under load instead of 8 s. The Makefile and Binder's ``start`` set
``OPENBLAS_NUM_THREADS=1``, but a reader's own kernel (Colab, VS Code, JupyterLab on a
laptop) gets no such variable, so rnnlib sets the limit itself when it is imported,
through threadpoolctl, which changes the thread count of the BLAS library numpy has
already loaded. A thread count the reader chose with one of the usual variables wins:
then rnnlib changes nothing. Results are the same either way; only the speed differs.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_limits

# Any of these set (to anything) means someone chose the BLAS threading on purpose.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads() -> bool:
    """Limit BLAS to one thread for this process unless a variable above is set.

    Returns True when the limit was applied, False when the environment's choice was kept.
    """
    if any(os.environ.get(name) for name in THREAD_VARIABLES):
        return False
    threadpool_limits(limits=1, user_api="blas")  # a plain call: the limit stays in force
    return True
