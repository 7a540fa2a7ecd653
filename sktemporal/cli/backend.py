"""Which Keras backend the command runs on, chosen before Keras loads."""

import importlib.util
import json
import os
import sys

from sktemporal.cli.options import BACKENDS

__all__ = ["choose_backend"]


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
