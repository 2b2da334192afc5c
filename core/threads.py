"""One BLAS thread for numpy, so the question encoder keeps the cores.

Everything numpy does while answering is a small matrix-vector product (a question against
a few thousand vectors), which gains nothing from threads. OpenBLAS's idle worker threads
spin for a while after each call, and on a small machine they take CPU from ONNX Runtime,
which encodes the question: on 2 cores, limiting BLAS to one thread halved a warm ask
(``bench/results/warm-ask-2026-12-07-round5.md``). A limit the user set through the usual
environment variables is left as it is.
"""

from __future__ import annotations

import os
from functools import lru_cache

USER_LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@lru_cache(maxsize=1)
def one_blas_thread() -> bool:
    """Limit numpy's BLAS to one thread for this process (once); False when the user chose."""
    if any(os.environ.get(name) for name in USER_LIMITS):
        return False
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    return True
