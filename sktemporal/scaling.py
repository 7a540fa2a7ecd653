"""Thread limits for the deep-learning backend in parallel workers (Dask, joblib).

A search such as ``GridSearchCV(n_jobs=-1)`` runs one fit per worker. By default TensorFlow
gives each fit thread pools as large as the machine, so ``k`` workers on ``k`` cores run
``k x k`` busy threads that fight over the cores and the caches. Capping every worker at its
share of the cores (1 thread for a worker started with ``--nthreads 1``) removes that contention.

TensorFlow reads its thread counts once, when its runtime starts, so the cap must be in place
before the worker's first model: :func:`thread_limit_env` gives environment variables to set
when the worker *process* starts (``LocalCluster(env=...)``, a Dask ``Environ`` plugin, a job
script), and :func:`limit_backend_threads` applies them from inside a process that has not yet
started TensorFlow (``client.run(limit_backend_threads, 1)``).
"""

import os
import sys
from numbers import Integral

from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["limit_backend_threads", "thread_limit_env"]


@validate_params(
    {"n_threads": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def thread_limit_env(n_threads=1):
    """Environment variables that cap TensorFlow, OpenMP and BLAS at ``n_threads`` threads.

    Parameters
    ----------
    n_threads : int, default=1
        Threads per process; give each worker its share of the cores.

    Returns
    -------
    dict of str to str
        ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` (TensorFlow's two thread
        pools), ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` (oneDNN,
        NumPy's BLAS). Pass them to the worker processes when they start.

    See Also
    --------
    limit_backend_threads : Apply the same limits inside a running process.

    Examples
    --------
    >>> from sktemporal.scaling import thread_limit_env
    >>> thread_limit_env(2)["TF_NUM_INTRAOP_THREADS"]
    '2'

    With Dask, on one machine::

        cluster = LocalCluster(n_workers=4, threads_per_worker=1, env=thread_limit_env(1))
    """
    value = str(int(n_threads))
    return {
        "TF_NUM_INTRAOP_THREADS": value,
        "TF_NUM_INTEROP_THREADS": value,
        "OMP_NUM_THREADS": value,
        "MKL_NUM_THREADS": value,
        "OPENBLAS_NUM_THREADS": value,
    }


@validate_params(
    {"n_threads": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def limit_backend_threads(n_threads=1):
    """Cap the threads TensorFlow, OpenMP and BLAS use in the current process.

    Sets the variables of :func:`thread_limit_env`, configures TensorFlow's thread pools if
    TensorFlow is imported, and limits the BLAS and OpenMP libraries already loaded (through
    ``threadpoolctl``). Call it before the process builds its first model.

    Parameters
    ----------
    n_threads : int, default=1
        Threads for each of TensorFlow's two pools, and for BLAS/OpenMP.

    Returns
    -------
    dict of str to str
        The environment variables set.

    Raises
    ------
    RuntimeError
        If TensorFlow has already started with other thread counts; it cannot change them.
        Set the variables from :func:`thread_limit_env` when the process starts instead.

    Examples
    --------
    On every worker of a running Dask cluster whose workers have not yet trained a model::

        client.run(limit_backend_threads, 1)
    """
    env = thread_limit_env(n_threads)
    already_set = all(os.environ.get(name) == value for name, value in env.items())
    os.environ.update(env)
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        _limit_tensorflow(tf, int(n_threads), from_environment=already_set)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(n_threads))
    return env


def _limit_tensorflow(tf, n_threads, from_environment):
    threading = tf.config.threading
    try:
        threading.set_intra_op_parallelism_threads(n_threads)
        threading.set_inter_op_parallelism_threads(n_threads)
    except RuntimeError:
        current = (
            threading.get_intra_op_parallelism_threads(),
            threading.get_inter_op_parallelism_threads(),
        )
        # 0 means "from the environment or one per core": fine when the variables were set.
        if current != (n_threads, n_threads) and not (current == (0, 0) and from_environment):
            raise RuntimeError(
                f"TensorFlow has already started in this process (pid {os.getpid()}) with "
                f"intra-op/inter-op threads {current} (0 = one per core) and cannot switch to "
                f"{n_threads}. Limit the threads before the first model is built: start the "
                "worker processes with the variables of sktemporal.scaling.thread_limit_env(), "
                "e.g. LocalCluster(env=thread_limit_env(1)) or "
                "client.register_plugin(distributed.diagnostics.plugin.Environ(...))."
            ) from None
