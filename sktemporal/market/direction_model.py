"""A fitted direction classifier bundled with its preprocessing, saved without pickle.

:class:`DirectionModel` is what ``sktemporal train`` saves and ``sktemporal predict`` loads:
the window classifier together with everything needed to predict from raw prices again
(indicators, scaler, window length, label settings). On disk it is the classifier's ``.keras``
file plus a small JSON file beside it (:func:`pipeline_path`), never a pickle.

Next to these two files, ``sktemporal train`` writes the out-of-sample predictions of its
walk-forward evaluation (:func:`oos_predictions_path`) and a JSON report
(:func:`report_path`); the preprocessing file records the out-of-sample file's checksum, so
the files of one run are known to belong together.
"""

import json
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import HasMethods, validate_params

from sktemporal._atomic import FileTransaction, locked, sha256
from sktemporal.market.environment import versions
from sktemporal.market.features import TechnicalIndicators
from sktemporal.market.preparation import (
    SETTINGS_CONSTRAINTS,
    causal_windows,
    check_enough_rows,
    feature_table,
    prepare_dataset,
)
from sktemporal.market.serialization import iso_date, json_key

__all__ = [
    "DirectionModel",
    "fit_direction_model",
    "fit_on_features",
    "oos_predictions_path",
    "pipeline_path",
    "read_pipeline",
    "report_path",
]

_PIPELINE_FORMAT_VERSION = 1
_PIPELINE_SUFFIX = ".pipeline.json"
_OOS_SUFFIX = ".oos.csv"
_REPORT_SUFFIX = ".report.json"


# ---------------------------------------------------------------------------- fitting


@validate_params(
    {
        "sequence_length": SETTINGS_CONSTRAINTS["sequence_length"],
        "horizon": SETTINGS_CONSTRAINTS["horizon"],
        "threshold": SETTINGS_CONSTRAINTS["threshold"],
        "classifier": [HasMethods(["fit", "predict_proba"])],
    },
    # The classifier's own parameters are checked when it is fitted.
    prefer_skip_nested_validation=False,
)
def fit_direction_model(ohlcv, classifier, *, sequence_length=30, horizon=1, threshold=0.005):
    """Fit a window classifier on all labelled rows of ``ohlcv``, ready to predict new prices.

    The scaler is fitted on every labelled row's features; the classifier (fitted as given,
    not cloned) on the windows of the rows that have ``sequence_length - 1`` rows before them.
    Only the labels of rows ``t <= len(ohlcv) - 1 - horizon`` are used, each computed from
    prices inside the table: nothing after the last price enters the model.

    Parameters
    ----------
    ohlcv : pandas.DataFrame
        Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and ``volume``.
    classifier : classifier
        An unfitted window classifier, e.g. :class:`~sktemporal.AttentionLSTMClassifier`.
    sequence_length : int, default=30
        Rows per window.
    horizon : int, default=1
        Rows ahead the labels look.
    threshold : float, default=0.005
        Returns within ``[-threshold, threshold]`` are labelled flat (0).

    Returns
    -------
    DirectionModel
        The fitted classifier with its preprocessing.
    """
    check_enough_rows(
        ohlcv,
        TechnicalIndicators.warmup_rows + sequence_length - 1 + horizon + 2,
        f"training with sequence_length={sequence_length} and horizon={horizon}",
    )
    X, y = prepare_dataset(ohlcv, horizon=horizon, threshold=threshold)
    return fit_on_features(
        X, y, classifier, sequence_length=sequence_length, horizon=horizon, threshold=threshold
    )


def fit_on_features(X, y, classifier, *, sequence_length, horizon, threshold):
    """Fit ``classifier`` on every window of prepared features and labels.

    The step :func:`fit_direction_model` and the walk-forward evaluation's refit share: a
    scaler fitted on all feature rows, windows ending at every labelled row with a full past.

    Parameters
    ----------
    X : pandas.DataFrame
        Feature rows from :func:`~sktemporal.market.preparation.prepare_dataset`.
    y : pandas.Series
        Their direction labels.
    classifier : classifier
        An unfitted window classifier, fitted in place.
    sequence_length, horizon, threshold
        As in :func:`fit_direction_model`.

    Returns
    -------
    DirectionModel
    """
    context = sequence_length - 1
    scaler = StandardScaler().fit(X.to_numpy())
    windows = causal_windows(scaler.transform(X.to_numpy()), sequence_length)
    started = time.perf_counter()
    classifier.fit(windows, y.to_numpy()[context:])
    return DirectionModel(
        classifier=classifier,
        scaler=scaler,
        sequence_length=sequence_length,
        horizon=horizon,
        threshold=threshold,
        feature_names=list(X.columns),
        trained_on={
            "first_sample_date": iso_date(y.index[context]),
            "last_sample_date": iso_date(y.index[-1]),
            "n_samples": len(y) - context,
            "fit_seconds": round(time.perf_counter() - started, 3),
        },
    )


# ---------------------------------------------------------------------------- files


def pipeline_path(model_path):
    """Path of the JSON preprocessing file that goes with a model file.

    Parameters
    ----------
    model_path : str or os.PathLike
        The ``.keras`` model file.

    Returns
    -------
    pathlib.Path
        ``model_path`` with ``.pipeline.json`` appended.
    """
    return Path(f"{model_path}{_PIPELINE_SUFFIX}")


def oos_predictions_path(model_path):
    """Path of the out-of-sample predictions that ``sktemporal train`` writes beside a model.

    Parameters
    ----------
    model_path : str or os.PathLike
        The ``.keras`` model file.

    Returns
    -------
    pathlib.Path
        ``model_path`` with ``.oos.csv`` appended.
    """
    return Path(f"{model_path}{_OOS_SUFFIX}")


def report_path(model_path):
    """Default path of the JSON report that ``sktemporal train`` writes beside a model.

    Parameters
    ----------
    model_path : str or os.PathLike
        The ``.keras`` model file.

    Returns
    -------
    pathlib.Path
        ``model_path`` with ``.report.json`` appended.
    """
    return Path(f"{model_path}{_REPORT_SUFFIX}")


def read_pipeline(model_path):
    """Read and check the preprocessing file of a model, without loading the network.

    Parameters
    ----------
    model_path : str or os.PathLike
        The ``.keras`` model file; its ``.pipeline.json`` must be next to it.

    Returns
    -------
    dict
        The file's content, as :meth:`DirectionModel.describe` wrote it plus
        ``model_sha256``.

    Raises
    ------
    FileNotFoundError
        If the model file or its preprocessing file is missing.
    ValueError
        If the preprocessing file is not a valid sktemporal file.
    """
    path = Path(model_path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at '{path}'.")
    sidecar = pipeline_path(path)
    if not sidecar.is_file():
        raise FileNotFoundError(
            f"no preprocessing file '{sidecar}' next to the model; models for "
            "`sktemporal predict` are written by `sktemporal train`."
        )
    try:
        description = json.loads(sidecar.read_text(encoding="utf-8"))
        if not isinstance(description, dict):
            raise ValueError("not a JSON object")
        if description.get("format_version") != _PIPELINE_FORMAT_VERSION:
            raise ValueError("unknown format version")
        required = ("sequence_length", "horizon", "threshold", "feature_names", "scaler")
        missing = [name for name in (*required, "model_sha256") if name not in description]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(
            f"'{sidecar}' is not a valid sktemporal preprocessing file ({error})."
        ) from None
    return description


@dataclass
class DirectionModel:
    """A fitted direction classifier with everything needed to predict from raw prices.

    Prediction rebuilds the same steps as training: technical indicators
    (:func:`feature_table`), scaling with the training ``scaler``, windows of
    ``sequence_length`` rows, then ``classifier.predict_proba``.

    Attributes
    ----------
    classifier : classifier
        The fitted window classifier.
    scaler : sklearn.preprocessing.StandardScaler
        Fitted on the features of all labelled training rows.
    sequence_length : int
        Rows per window.
    horizon : int
        Rows ahead the labels looked.
    threshold : float
        Flat band of the labels.
    feature_names : list of str
        The indicator columns, in order.
    trained_on : dict
        Date range and number of the training samples; ``sktemporal train`` adds
        ``data_source``, the CSV file given or ``"bundled S&P 500"``.
    out_of_sample : dict
        Where the out-of-sample predictions of the walk-forward evaluation that came with
        this model were saved (``file``, relative to the model's folder, and its ``sha256``)
        and their date range; empty when there are none.

    See Also
    --------
    fit_direction_model : Builds one.
    """

    classifier: object
    scaler: StandardScaler
    sequence_length: int
    horizon: int
    threshold: float
    feature_names: list
    trained_on: dict = field(default_factory=dict)
    out_of_sample: dict = field(default_factory=dict)

    @property
    def classes_(self):
        """ndarray: The class labels, in the order of the probability columns."""
        return self.classifier.classes_

    def predict_proba_frame(self, ohlcv):
        """Predicted class and class probabilities of every row that has a full window.

        Rows from ``TechnicalIndicators.warmup_rows + sequence_length - 1`` on have one; the
        last rows, which have no label yet, are predicted too. The prediction for row ``t``
        uses prices of rows ``<= t`` only.

        Parameters
        ----------
        ohlcv : pandas.DataFrame
            Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and
            ``volume``.

        Returns
        -------
        pandas.DataFrame
            Indexed by the rows' dates (or index), with a ``predicted_class`` column and one
            ``proba_<class>`` column per class, e.g. ``proba_-1, proba_0, proba_1``.
        """
        index, windows = self.make_windows(ohlcv)
        proba = self.classifier.predict_proba(windows)
        classes = np.asarray(self.classes_)
        frame = pd.DataFrame(
            proba,
            index=index,
            columns=[f"proba_{json_key(c)}" for c in classes],
        )
        frame.insert(0, "predicted_class", classes[proba.argmax(axis=1)])
        return frame

    def check_no_lookahead(self, ohlcv, *, n_rows=300, random_state=0):
        """Prove on the last ``n_rows`` prices that no prediction reads a later row.

        Runs :func:`sktemporal.lookahead.check_no_lookahead` on the fitted model (features,
        scaling, windows and classifier together) with noisy, extreme and shuffled futures.
        Constant futures are left out: a flat price series has undefined indicators.

        Parameters
        ----------
        ohlcv : pandas.DataFrame
            Daily prices in time order.
        n_rows : int, default=300
            How many of the last rows to check.
        random_state : int, default=0
            Seed of the perturbations.

        Returns
        -------
        LookaheadReport
        """
        from sktemporal.lookahead import check_no_lookahead

        return check_no_lookahead(
            _RowAligned(self),
            ohlcv.iloc[-n_rows:],
            fit=False,
            n_trials=1,
            kinds=("noise", "extreme", "shuffle"),
            random_state=random_state,
        )

    def make_windows(self, ohlcv):
        """The scaled feature windows the classifier sees, one per row with a full window.

        Parameters
        ----------
        ohlcv : pandas.DataFrame
            Daily prices in time order with ``open``, ``high``, ``low``, ``close`` and
            ``volume``.

        Returns
        -------
        index : pandas.Index of length n_windows
            The date (or index) of the last row of each window, the row predicted.
        windows : ndarray of shape (n_windows, sequence_length, n_features)
            Rows ``t - sequence_length + 1 ... t`` of the scaled indicators, for each ``t``
            from ``TechnicalIndicators.warmup_rows + sequence_length - 1`` on.

        Raises
        ------
        ValueError
            If ``ohlcv`` is too short for one window, or this version of sktemporal computes
            other features than the model was trained on.
        """
        check_enough_rows(
            ohlcv,
            TechnicalIndicators.warmup_rows + self.sequence_length,
            f"a prediction with sequence_length={self.sequence_length}",
        )
        features = feature_table(ohlcv)
        if list(features.columns) != list(self.feature_names):
            raise ValueError(
                "the model was trained on other features than this version of sktemporal "
                "computes; retrain it."
            )
        windows = causal_windows(self.scaler.transform(features.to_numpy()), self.sequence_length)
        return features.index[self.sequence_length - 1 :], windows

    def describe(self):
        """The preprocessing and settings as a JSON-ready dict (what the sidecar file holds).

        Returns
        -------
        dict
        """
        return {
            "format_version": _PIPELINE_FORMAT_VERSION,
            "estimator": type(self.classifier).__name__,
            "sequence_length": self.sequence_length,
            "horizon": self.horizon,
            "threshold": self.threshold,
            "warmup_rows": TechnicalIndicators.warmup_rows,
            "features": "sktemporal.market.features.TechnicalIndicators",
            "feature_names": list(self.feature_names),
            "classes": [json_key(c) for c in self.classes_],
            "scaler": {
                "mean": self.scaler.mean_.tolist(),
                "scale": self.scaler.scale_.tolist(),
                "var": self.scaler.var_.tolist(),
                "n_samples_seen": int(self.scaler.n_samples_seen_),
            },
            "n_iter": getattr(self.classifier, "n_iter_", None),
            "trained_on": self.trained_on,
            "out_of_sample": self.out_of_sample,
            "sktemporal_version": versions()["sktemporal"],
        }

    def save(self, path):
        """Write the classifier to ``path`` (``.keras``) and its preprocessing next to it.

        The preprocessing goes to ``<path>.pipeline.json`` (:func:`pipeline_path`), with the
        SHA-256 of the model file. Both are written as one
        :class:`~sktemporal._atomic.FileTransaction`: under temporary names, then renamed
        into place under a lock that :meth:`load` takes too, so a failure leaves no
        half-written file and two processes saving to one path never leave a mix.

        Parameters
        ----------
        path : str or os.PathLike
            Model file name, ending in ``.keras``.

        Returns
        -------
        pathlib.Path
            The path of the preprocessing file.
        """
        with FileTransaction(path) as files:
            self.write_files(files, path)
        return pipeline_path(path)

    def write_files(self, files, path):
        """Add the model file and its preprocessing file to a transaction.

        For callers that write more files with the model in one
        :class:`~sktemporal._atomic.FileTransaction` (``sktemporal train``).

        Parameters
        ----------
        files : FileTransaction
            The open transaction.
        path : str or os.PathLike
            Model file name, ending in ``.keras``.

        Returns
        -------
        str
            The SHA-256 of the model file written.
        """
        path = Path(path)
        if path.suffix != ".keras":
            raise ValueError(f"a model file name must end in '.keras'; got '{path}'.")
        with files.new_file(path, suffix=".keras") as temporary:
            self.classifier.save(temporary)
            model_sha256 = sha256(temporary)
        description = self.describe() | {"model_sha256": model_sha256}
        files.write_text(pipeline_path(path), json.dumps(description, indent=1))
        return model_sha256

    @classmethod
    def load(cls, path):
        """Read a model written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.keras`` model file; its ``.pipeline.json`` must be next to it.

        Returns
        -------
        DirectionModel

        Raises
        ------
        FileNotFoundError
            If the model file or its preprocessing file is missing.
        ValueError
            If either is not a valid sktemporal file or they do not belong together.
        """
        path = Path(path)
        with locked(path):
            return cls._load(path)

    @classmethod
    def _load(cls, path):
        sidecar = pipeline_path(path)
        description = read_pipeline(path)
        try:
            scaler = StandardScaler()
            scaler.mean_ = np.asarray(description["scaler"]["mean"], dtype=np.float64)
            scaler.scale_ = np.asarray(description["scaler"]["scale"], dtype=np.float64)
            scaler.var_ = np.asarray(description["scaler"]["var"], dtype=np.float64)
            scaler.n_samples_seen_ = description["scaler"]["n_samples_seen"]
            scaler.n_features_in_ = len(scaler.mean_)
            settings = {
                name: description[name]
                for name in ("sequence_length", "horizon", "threshold", "feature_names")
            }
            expected_sha = description["model_sha256"]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(
                f"'{sidecar}' is not a valid sktemporal preprocessing file ({error})."
            ) from None
        if sha256(path) != expected_sha:
            damage = _archive_damage(path)
            if damage:
                raise ValueError(
                    f"'{path}' is {damage}; restore it from a copy or train the model again."
                )
            raise ValueError(
                f"'{path}' is not the model file that '{sidecar}' was written with; keep the "
                "files of one `sktemporal train` run together."
            )
        from sktemporal.persistence import load  # imports Keras: only once the files are found

        classifier = load(path)
        return cls(
            classifier=classifier,
            scaler=scaler,
            trained_on=description.get("trained_on", {}),
            out_of_sample=description.get("out_of_sample", {}),
            **settings,
        )


def _archive_damage(path):
    """How a ``.keras`` archive is damaged ("truncated or corrupt: ..."), or None if it reads."""
    if not zipfile.is_zipfile(path):
        return "truncated or corrupt: not a complete .keras (zip) archive"
    try:
        with zipfile.ZipFile(path) as archive:
            failed = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        return f"truncated or corrupt: {error}"
    if failed is not None:
        return f"corrupt: its member {failed!r} fails its checksum"
    return None


class _RowAligned(BaseEstimator):
    """A fitted DirectionModel as an estimator with one output row per input row.

    The model predicts only rows with a full window; the look-ahead check needs outputs aligned
    with its input, so the first rows are NaN.
    """

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict_proba(self, ohlcv):
        frame = self.model.predict_proba_frame(ohlcv).drop(columns="predicted_class")
        return frame.reindex(ohlcv.index).to_numpy()
