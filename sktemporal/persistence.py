"""Save and load fitted classifiers as one ``.keras`` file, without pickle.

The file is the Keras v3 archive of the trained network (a zip holding the model's JSON config
and its weights), with one more JSON member, ``sktemporal.json``, holding the estimator's class
name, its parameters and its fitted attributes. Nothing in it is ever unpickled and the network
is loaded in Keras' safe mode, so a model file cannot run code when it is read.
"""

import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import keras
import numpy as np

__all__ = ["load", "save_classifier"]

_METADATA_MEMBER = "sktemporal.json"
_FORMAT_VERSION = 1


def _estimator_classes():
    # The only classes a file may name: loading never imports a name read from the file.
    from sktemporal.classifiers import AttentionLSTMClassifier, TransformerClassifier

    return {cls.__name__: cls for cls in (AttentionLSTMClassifier, TransformerClassifier)}


def _array_to_json(array):
    array = np.asarray(array)
    return {"values": array.tolist(), "dtype": array.dtype.str if array.dtype.kind != "O" else "O"}


def _array_from_json(data):
    return np.asarray(data["values"], dtype=object if data["dtype"] == "O" else data["dtype"])


def _params_to_json(estimator):
    """JSON form of ``get_params()``; parameters that cannot be stored are reset with a warning."""
    params, dropped = {}, []
    for name, value in estimator.get_params().items():
        if name == "optimizer" and not isinstance(value, str):
            params[name] = {"keras_optimizer": keras.optimizers.serialize(value)}
        elif name == "class_weight" and isinstance(value, dict):
            params[name] = {
                "class_weight_items": [[_to_json_scalar(k), w] for k, w in value.items()]
            }
        elif name == "lstm_units" and isinstance(value, tuple):
            params[name] = {"tuple": list(value)}
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


def _to_json_scalar(value):
    return value.item() if isinstance(value, np.generic) else value


def _params_from_json(params):
    decoded = {}
    for name, value in params.items():
        if isinstance(value, dict) and "keras_optimizer" in value:
            value = keras.optimizers.deserialize(value["keras_optimizer"])
        elif isinstance(value, dict) and "class_weight_items" in value:
            value = {key: weight for key, weight in value["class_weight_items"]}
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
        "format_version": _FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "params": _params_to_json(estimator),
        "classes": _array_to_json(estimator.classes_),
        "n_features_in": int(estimator.n_features_in_),
        "n_timesteps": int(estimator.n_timesteps_),
        "n_channels": int(estimator.n_channels_),
        "n_iter": int(estimator.n_iter_),
        "history": {key: [float(v) for v in values] for key, values in estimator.history_.items()},
        "attention_weights": estimator.attention_weights_.tolist(),
        "versions": {"keras": keras.__version__, "backend": keras.backend.backend()},
    }
    if hasattr(estimator, "feature_names_in_"):
        metadata["feature_names_in"] = _array_to_json(estimator.feature_names_in_)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".keras")
    os.close(fd)
    try:
        estimator.model_.save(temporary)
        with zipfile.ZipFile(temporary, "a") as archive:
            archive.writestr(_METADATA_MEMBER, json.dumps(metadata))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path):
    """Load a classifier written by ``save``.

    The network is loaded with Keras' ``safe_mode=True`` (a model with a ``Lambda`` layer or
    other arbitrary code is refused) and the estimator's state is read from JSON: nothing is
    unpickled. Predictions of the loaded classifier equal those of the saved one bit for bit.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.keras`` file written by :meth:`AttentionLSTMClassifier.save` or
        :meth:`TransformerClassifier.save`.

    Returns
    -------
    AttentionLSTMClassifier or TransformerClassifier
        The fitted classifier.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not an sktemporal model file, is truncated or corrupted, or holds a
        model that safe mode refuses.

    Notes
    -----
    Pickle and joblib also round-trip the classifiers, but unpickling a file can run arbitrary
    code: only unpickle files you trust. This format is the one to exchange.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sktemporal import AttentionLSTMClassifier, load
    >>> X, y = np.random.default_rng(0).normal(size=(20, 5, 2)), np.arange(20) % 2
    >>> clf = AttentionLSTMClassifier(lstm_units=2, attention_units=2, dense_units=2,
    ...                               epochs=1, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> clf.save(path)
    >>> bool((load(path).predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    metadata = _read_metadata(path)
    classes = _estimator_classes()
    name = metadata.get("estimator")
    if name not in classes:
        raise ValueError(
            f"{str(path)!r} names the estimator {name!r}, which is not one of {sorted(classes)}."
        )
    try:
        model = keras.saving.load_model(path, compile=True, safe_mode=True)
    except Exception as error:  # Keras raises many types for a bad archive; name the file.
        raise ValueError(
            f"The Keras model in {str(path)!r} could not be loaded: {error}"
        ) from None
    try:
        estimator = classes[name](**_params_from_json(metadata["params"]))
        estimator.model_ = model
        estimator.classes_ = _array_from_json(metadata["classes"])
        estimator.n_features_in_ = metadata["n_features_in"]
        estimator.n_timesteps_ = metadata["n_timesteps"]
        estimator.n_channels_ = metadata["n_channels"]
        estimator.n_iter_ = metadata["n_iter"]
        estimator.history_ = metadata["history"]
        estimator.attention_weights_ = np.asarray(metadata["attention_weights"])
        if "feature_names_in" in metadata:
            estimator.feature_names_in_ = _array_from_json(metadata["feature_names_in"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"{str(path)!r} has incomplete sktemporal metadata ({error}).") from None
    estimator._initialize_callbacks()
    estimator._random_state = estimator._seed()
    return estimator


def _read_metadata(path):
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{str(path)!r} is not an sktemporal model file: it is not a .keras (zip) archive, "
            "or it is truncated."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            if _METADATA_MEMBER not in archive.namelist():
                raise ValueError(
                    f"{str(path)!r} is a zip archive without {_METADATA_MEMBER}: it was not "
                    "written by sktemporal's save()."
                )
            metadata = json.loads(archive.read(_METADATA_MEMBER))
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{str(path)!r} is corrupted: {error}") from None
    if not isinstance(metadata, dict) or metadata.get("format_version") != _FORMAT_VERSION:
        raise ValueError(
            f"{str(path)!r} has an unknown sktemporal format version; expected {_FORMAT_VERSION}."
        )
    return metadata
