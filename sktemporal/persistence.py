"""Save and load fitted classifiers as one ``.keras`` file, without pickle.

The file is the Keras v3 archive of the trained network (a zip holding the model's JSON config
and its weights), with one more JSON member, ``sktemporal.json``, holding the estimator's class
name, its parameters and its fitted attributes. Nothing in it is ever unpickled and the network
is loaded in Keras' safe mode, so a model file cannot run code when it is read.
"""

import json
import math
import zipfile
from pathlib import Path

import keras
import numpy as np

from sktemporal.classifiers._model_file import (
    FORMAT_VERSION,
    METADATA_MEMBER,
    params_from_json,
    save_classifier,
)
from sktemporal.networks import dtype_policy_scope

__all__ = ["load", "save_classifier"]


def _estimator_classes():
    # The only classes a file may name: loading never imports a name read from the file.
    from sktemporal.classifiers import AttentionLSTMClassifier, TransformerClassifier

    return {cls.__name__: cls for cls in (AttentionLSTMClassifier, TransformerClassifier)}


def _array_from_json(data):
    return np.asarray(data["values"], dtype=object if data["dtype"] == "O" else data["dtype"])


class _MetadataError(ValueError):
    """A problem in ``sktemporal.json``; ``load`` adds the file name to the message."""


# dtype kinds an array of labels or feature names may have: bool, integers, float, text, object.
_ARRAY_KINDS = "biufUO"


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _checked_array(data, key):
    """A flat, non-empty array from its JSON form ``{"values": [...], "dtype": "..."}``."""
    if not isinstance(data, dict) or set(data) != {"values", "dtype"}:
        raise _MetadataError(f"{key!r} must be an object with 'values' and 'dtype'.")
    values, dtype = data["values"], data["dtype"]
    if not isinstance(values, list) or not values:
        raise _MetadataError(f"{key!r} values must be a non-empty list.")
    if not all(value is None or isinstance(value, str | int | float) for value in values):
        raise _MetadataError(f"{key!r} values must be a flat list of numbers or strings.")
    if not isinstance(dtype, str):
        raise _MetadataError(f"{key!r} dtype must be a string, got {dtype!r}.")
    try:
        if np.dtype(dtype).kind not in _ARRAY_KINDS:
            raise _MetadataError(f"{key!r} has the unsupported dtype {dtype!r}.")
        array = _array_from_json(data)
    except (TypeError, ValueError, OverflowError) as error:
        if isinstance(error, _MetadataError):
            raise
        raise _MetadataError(f"{key!r} cannot be read as an array: {error}") from None
    if array.ndim != 1:
        raise _MetadataError(f"{key!r} must be 1-D, got shape {array.shape}.")
    return array


def _checked_params(params, estimator_class):
    """Decoded constructor parameters; only the estimator's own names are accepted."""
    if not isinstance(params, dict):
        raise _MetadataError(f"'params' must be an object, got {type(params).__name__}.")
    known = set(estimator_class._get_param_names())
    unknown = sorted(set(params) - known)
    if unknown:
        raise _MetadataError(
            f"'params' holds {unknown}, which are not parameters of {estimator_class.__name__}."
        )
    if params.get("callbacks") is not None:
        # save() never stores callbacks (they are Python objects): a value here is forged.
        raise _MetadataError("'params' may not hold callbacks; a model file stores none.")
    try:
        decoded = params_from_json(params)
    except Exception as error:  # Keras raises many types for a bad optimizer config.
        raise _MetadataError(f"'params' cannot be decoded: {error}") from None
    estimator = estimator_class(**decoded)
    try:
        estimator._validate_params()
    except ValueError as error:  # InvalidParameterError, also a TypeError
        raise _MetadataError(f"'params' are invalid: {error}") from None
    return estimator


def _check_metadata(metadata, estimator_class):
    """Check every field of ``sktemporal.json``; return the estimator and its fitted state."""
    for key in (
        "params",
        "classes",
        "n_features_in",
        "n_timesteps",
        "n_channels",
        "n_iter",
        "history",
        "attention_weights",
    ):
        if key not in metadata:
            raise _MetadataError(f"the field {key!r} is missing.")
    estimator = _checked_params(metadata["params"], estimator_class)
    state = {}
    for key, minimum in (
        ("n_features_in", 1),
        ("n_timesteps", 1),
        ("n_channels", 1),
        ("n_iter", 0),
    ):
        value = metadata[key]
        if not _is_int(value) or value < minimum:
            raise _MetadataError(f"{key!r} must be an integer >= {minimum}, got {value!r}.")
        state[f"{key}_"] = value
    if state["n_features_in_"] != state["n_timesteps_"]:
        raise _MetadataError(
            f"'n_features_in' ({state['n_features_in_']}) must equal 'n_timesteps' "
            f"({state['n_timesteps_']})."
        )
    classes = _checked_array(metadata["classes"], "classes")
    try:
        ordered = np.array_equal(np.unique(classes), classes)
    except TypeError:
        ordered = False
    if not ordered:
        raise _MetadataError("'classes' must be distinct and sorted.")
    state["classes_"] = classes
    history = metadata["history"]
    if not isinstance(history, dict) or not all(
        isinstance(values, list) and all(_is_number(v) for v in values)
        for values in history.values()
    ):
        raise _MetadataError("'history' must map each metric to a list of numbers.")
    state["history_"] = history
    weights = metadata["attention_weights"]
    if weights is None and not estimator.store_attention:
        state["attention_weights_"] = None
    elif (
        not isinstance(weights, list)
        or len(weights) != state["n_timesteps_"]
        or not all(_is_number(w) and math.isfinite(w) for w in weights)
    ):
        raise _MetadataError(
            f"'attention_weights' must be a list of {state['n_timesteps_']} finite numbers "
            "(one per time step), or null for a model fitted with store_attention=False."
        )
    else:
        state["attention_weights_"] = np.asarray(weights, dtype=np.float64)
    if "feature_names_in" in metadata:
        names = _checked_array(metadata["feature_names_in"], "feature_names_in")
        if len(names) != state["n_features_in_"]:
            raise _MetadataError(
                f"'feature_names_in' holds {len(names)} names for {state['n_features_in_']} "
                "features."
            )
        state["feature_names_in_"] = names
    return estimator, state


def _check_model(model, state):
    """Check that the network takes the stored window shape and outputs one unit per class."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise _MetadataError("the network must have one input and one output.")
    window = tuple(model.inputs[0].shape)[1:]
    expected = (state["n_timesteps_"], state["n_channels_"])
    if window != expected:
        raise _MetadataError(
            f"the network takes windows of shape {window}, but the metadata says {expected}."
        )
    units = tuple(model.outputs[0].shape)[1:]
    if units != (len(state["classes_"]),):
        raise _MetadataError(
            f"the network outputs shape {units}, but the metadata lists "
            f"{len(state['classes_'])} classes."
        )


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
        If the file is not an sktemporal model file, is truncated or corrupted, holds a
        model that safe mode refuses, or its ``sktemporal.json`` is invalid: a field of the
        wrong type, a parameter that the estimator does not have or that fails its
        validation, or a window shape or number of classes that the network contradicts.
        The message names the file.

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
    if not isinstance(name, str) or name not in classes:
        raise ValueError(
            f"{str(path)!r} names the estimator {name!r}, which is not one of {sorted(classes)}."
        )
    try:
        estimator, state = _check_metadata(metadata, classes[name])
    except _MetadataError as error:
        raise ValueError(f"{str(path)!r} has invalid sktemporal metadata: {error}") from None
    try:
        # Under the estimator's policy, so that a mixed_float16 model is compiled with the loss
        # scaling (and the optimizer variables) it was saved with.
        with dtype_policy_scope(estimator.precision):
            model = keras.saving.load_model(path, compile=True, safe_mode=True)
    except Exception as error:  # Keras raises many types for a bad archive; name the file.
        raise ValueError(
            f"The Keras model in {str(path)!r} could not be loaded: {error}"
        ) from None
    try:
        _check_model(model, state)
    except _MetadataError as error:
        raise ValueError(
            f"{str(path)!r} has sktemporal metadata that does not match its network: {error}"
        ) from None
    estimator.model_ = model
    for attribute, value in state.items():
        setattr(estimator, attribute, value)
    try:
        estimator._prepare_loaded_model()
    except (TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r} has invalid sktemporal metadata: {error}") from None
    return estimator


def _read_metadata(path):
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{str(path)!r} is not an sktemporal model file: it is not a .keras (zip) archive, "
            "or it is truncated."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            has_metadata = METADATA_MEMBER in archive.namelist()
            data = archive.read(METADATA_MEMBER) if has_metadata else None
    except zipfile.BadZipFile as error:
        raise ValueError(f"{str(path)!r} is corrupted: {error}") from None
    if not has_metadata:
        raise ValueError(
            f"{str(path)!r} is a zip archive without {METADATA_MEMBER}: it was not "
            "written by sktemporal's save()."
        )
    try:
        metadata = json.loads(data)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, over-long integers
        raise ValueError(f"{str(path)!r} is corrupted: {error}") from None
    except RecursionError:
        raise ValueError(
            f"{str(path)!r} is corrupted: {METADATA_MEMBER} is nested too deeply."
        ) from None
    version = metadata.get("format_version") if isinstance(metadata, dict) else None
    if not _is_int(version) or version != FORMAT_VERSION:
        raise ValueError(
            f"{str(path)!r} has an unknown sktemporal format version; expected {FORMAT_VERSION}."
        )
    return metadata
