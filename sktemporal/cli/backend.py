"""Which Keras backend the command runs on, and JAX's compilation cache, set before they load."""

import contextlib
import importlib.util
import json
import os
import sys
import tempfile

from sktemporal.cli.options import BACKENDS

__all__ = ["choose_backend", "compilations_shared"]


def _keras_json_backend():
    """The backend named in Keras' configuration file, or None."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as file:
            return json.load(file).get("backend")
    except (OSError, ValueError, AttributeError):
        return None


def choose_backend(requested=None):
    """Pick the Keras backend for this process before Keras loads.

    The library itself follows Keras' configuration and never switches a backend; the command
    line is an application, so where the user has not chosen it picks the fastest backend
    installed. A ``keras.json`` naming ``tensorflow`` is not read as a choice: Keras writes
    that file with ``tensorflow`` on its first import.

    Parameters
    ----------
    requested : {"jax", "tensorflow", "torch"} or None, default=None
        The ``--backend`` option.

    Returns
    -------
    backend : str
        The backend Keras will load.
    reason : str
        Why, in a few words, for the command's first line.

    Raises
    ------
    ValueError
        If the requested backend is not installed, or Keras is already loaded in this
        process with another backend.
    """
    if "keras" in sys.modules:
        import keras

        loaded = keras.backend.backend()
        if requested not in (None, loaded):
            raise ValueError(
                f"argument --backend: Keras is already loaded with the {loaded} backend in "
                f"this process; it cannot switch to {requested}"
            )
        return loaded, "Keras was already loaded"
    installed = [name for name in BACKENDS if importlib.util.find_spec(name) is not None]
    if requested is not None:
        if requested not in installed:
            raise ValueError(
                f"argument --backend: {requested} is not installed (installed: "
                f"{', '.join(installed) or 'none'})"
            )
        backend, reason = requested, "--backend"
    elif os.environ.get("KERAS_BACKEND"):
        backend, reason = os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    elif (configured := _keras_json_backend()) and configured != "tensorflow":
        backend, reason = configured, "keras.json"
    elif installed:
        backend, reason = installed[0], "the fastest installed; --backend to choose"
    else:
        raise ValueError("no Keras backend is installed: pip install jax (or tensorflow)")
    os.environ["KERAS_BACKEND"] = backend
    return backend, reason


#: Compilations that take less than this many seconds are not written to the cache: the
#: training and evaluation steps (1-4 s each on 2 CPU cores) and the inference calls
#: (0.2-0.5 s) are, the many tiny operations of building a network (about 0.01 s) are not.
_CACHED_COMPILE_SECONDS = "0.1"


@contextlib.contextmanager
def compilations_shared():
    """Let the command's fits share their compiled programs through JAX's compilation cache.

    Every fit builds a fresh network, and JAX compiles its training step, evaluation step and
    inference calls anew, about 3 s for the main job's training step on 2 CPU cores. The
    networks of one command have the same architecture and shapes (their input statistics
    and schedule step counts are variables, not constants), so they compile to the same
    programs: JAX's persistent cache, keyed by the program, then compiles each once. The cache
    lives in a temporary directory for the length of the command, so a run costs what it
    costs on a fresh machine; with ``JAX_COMPILATION_CACHE_DIR`` set, the user's cache is used
    (and kept). In a process that has imported JAX already (the command called from Python)
    JAX's configuration is left as it is; one that imports it during the command gets it back
    without a cache afterwards, so that later compilations do not look for the removed folder.
    """
    if "JAX_COMPILATION_CACHE_DIR" in os.environ or "jax" in sys.modules:
        yield
        return
    minimum = "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"
    minimum_before = os.environ.get(minimum)
    with tempfile.TemporaryDirectory(prefix="sktemporal-xla-") as directory:
        os.environ["JAX_COMPILATION_CACHE_DIR"] = directory
        os.environ.setdefault(minimum, _CACHED_COMPILE_SECONDS)
        try:
            yield
        finally:
            del os.environ["JAX_COMPILATION_CACHE_DIR"]
            if minimum_before is None:
                del os.environ[minimum]
            if "jax" in sys.modules:
                _forget_compilation_cache()


def _forget_compilation_cache():
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    jax.config.update("jax_compilation_cache_dir", None)
    compilation_cache.reset_cache()
