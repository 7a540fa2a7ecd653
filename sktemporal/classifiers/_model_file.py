"""The model file of a fitted classifier: how ``save`` writes it and how its JSON is encoded.

A ``.keras`` file is the Keras v3 archive of the trained network with one more JSON member,
:data:`METADATA_MEMBER`, holding the estimator's class name, parameters and fitted
attributes. This module writes it; :mod:`sktemporal.persistence` reads and checks it. The
parameter encoding lives here, both ways, so that the two cannot drift apart.
"""

import json
import os
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np

from sktemporal._atomic import temporary_file

__all__ = [
    "FORMAT_VERSION",
    "METADATA_MEMBER",
    "array_to_json",
    "params_from_json",
    "params_to_json",
    "save_classifier",
]

#: Name of the JSON member that sktemporal adds to the Keras archive.
METADATA_MEMBER = "sktemporal.json"
#: Version of that member's layout; files of another version are refused on loading.
FORMAT_VERSION = 1


def array_to_json(array):
    array = np.asarray(array)
    return {"values": array.tolist(), "dtype": array.dtype.str if array.dtype.kind != "O" else "O"}


def params_to_json(estimator):
    """JSON form of ``get_params()``; parameters that cannot be stored are reset with a warning."""
    params, dropped = {}, []
    for name, value in estimator.get_params().items():
        if name == "optimizer" and not isinstance(value, str):
            params[name] = {"keras_optimizer": keras.optimizers.serialize(value)}
        elif name == "class_weight" and isinstance(value, dict):
            params[name] = {"class_weight_items": [[_json_scalar(k), w] for k, w in value.items()]}
        elif name == "augmentation" and isinstance(value, dict):
            params[name] = {"augmentation_items": {str(k): float(v) for k, v in value.items()}}
        elif isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
            params[name] = {"tuple": [int(v) for v in value]}
        elif isinstance(value, os.PathLike):
            params[name] = os.fspath(value)
        elif value is None or isinstance(value, (str, bool, int, float)):
            params[name] = value
        else:
            dropped.append(name)
    if dropped:
        warnings.warn(
            f"Parameters {dropped} hold Python objects that a model file does not store; the "
            "loaded classifier has their default values.",
            UserWarning,
            stacklevel=3,
        )
    return params


def _json_scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def params_from_json(params):
    decoded = {}
    for name, value in params.items():
        if isinstance(value, dict) and "keras_optimizer" in value:
            value = keras.optimizers.deserialize(value["keras_optimizer"])
        elif isinstance(value, dict) and "class_weight_items" in value:
            value = {key: weight for key, weight in value["class_weight_items"]}
        elif isinstance(value, dict) and "augmentation_items" in value:
            value = dict(value["augmentation_items"])
        elif isinstance(value, dict) and "tuple" in value:
            value = tuple(value["tuple"])
        decoded[name] = value
    return decoded


def save_classifier(estimator, path):
    """Write a fitted sktemporal classifier to ``path`` (see :meth:`BaseDeepClassifier.save`).

    The file is written under a temporary name in the same folder and renamed when complete,
    so an interrupted save never leaves a half-written model at ``path``.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"A model file name must end in '.keras'; got {str(path)!r}.")
    metadata = {
        "format_version": FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "params": params_to_json(estimator),
        "classes": array_to_json(estimator.classes_),
        "n_features_in": int(estimator.n_features_in_),
        "n_timesteps": int(estimator.n_timesteps_),
        "n_channels": int(estimator.n_channels_),
        "n_iter": int(estimator.n_iter_),
        "history": {key: [float(v) for v in values] for key, values in estimator.history_.items()},
        "attention_weights": (
            None if estimator.attention_weights_ is None else estimator.attention_weights_.tolist()
        ),
        "versions": {"keras": keras.__version__, "backend": keras.backend.backend()},
    }
    if hasattr(estimator, "feature_names_in_"):
        metadata["feature_names_in"] = array_to_json(estimator.feature_names_in_)
    with temporary_file(path, suffix=".keras") as temporary:
        estimator.model_.save(temporary)
        with zipfile.ZipFile(temporary, "a") as archive:
            archive.writestr(METADATA_MEMBER, json.dumps(metadata))
        os.replace(temporary, path)
