"""The files of one ``sktemporal train`` run: written together, read back with their checks.

A run leaves four files (:class:`TrainingRunFiles`): the model, its preprocessing, the
walk-forward out-of-sample predictions and the JSON report. They are written as one
transaction and each records what it belongs to, so that reading them back finds any file
from another run.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import validate_params

from sktemporal._atomic import FileTransaction, locked, sha256
from sktemporal.market.backtest import COST_BPS_CONSTRAINT
from sktemporal.market.direction_model import (
    DirectionModel,
    oos_predictions_path,
    pipeline_path,
    read_pipeline,
)
from sktemporal.market.direction_model import report_path as default_report
from sktemporal.market.out_of_sample import (
    THRESHOLD_CONSTRAINT,
    backtest_predictions,
    closes_for_dates,
    read_oos_predictions,
    split_paths,
)
from sktemporal.market.serialization import iso_date

__all__ = [
    "BUNDLED_SOURCE",
    "SavedEvaluation",
    "TrainingRunFiles",
    "backtest_model",
    "load_evaluation",
]

#: ``data_source`` that ``sktemporal train`` records for the bundled S&P 500 prices.
BUNDLED_SOURCE = "bundled S&P 500"


@dataclass
class SavedEvaluation:
    """The files of one ``sktemporal train`` run that reports read, and the prices.

    Attributes
    ----------
    model_path : pathlib.Path
        The ``.keras`` model file.
    pipeline : dict
        Its preprocessing file (:func:`~sktemporal.market.direction_model.read_pipeline`).
    predictions : pandas.DataFrame
        The out-of-sample predictions (:func:`read_oos_predictions`), each date once: of the
        first path when the run was cross-validated with CPCV.
    prices : pandas.DataFrame
        The daily prices: those given, or the bundled ones the model was trained on.
    source : str
        Where the prices come from: ``"data"`` when given, else :data:`BUNDLED_SOURCE`.
    paths : list of pandas.DataFrame
        Every path's predictions (:func:`split_paths`): CPCV's paths, or ``[predictions]``.
    """

    model_path: Path
    pipeline: dict
    predictions: pd.DataFrame
    prices: pd.DataFrame
    source: str
    paths: list = field(default_factory=list)


class TrainingRunFiles:
    """The files of one ``sktemporal train`` run: model, preprocessing, predictions, report.

    :meth:`write` writes all four as one :class:`~sktemporal._atomic.FileTransaction`
    (temporary names, then renamed into place under the model's lock): a failure leaves the
    previous run's files as they were, and two runs writing to one path at once leave the
    complete files of one of them, never a mix. The readers take the same lock and check
    that the files belong together: the preprocessing file records the SHA-256 of the model
    and of the predictions, the report the SHA-256 of the model.

    Parameters
    ----------
    model_path : str or os.PathLike
        The ``.keras`` model file; the preprocessing and predictions files go beside it
        (:func:`~sktemporal.market.direction_model.pipeline_path`,
        :func:`~sktemporal.market.direction_model.oos_predictions_path`).
    report_path : str or os.PathLike, default=None
        The JSON report; ``None`` puts it beside the model
        (:func:`~sktemporal.market.direction_model.report_path`).

    Attributes
    ----------
    model, pipeline, predictions, report : pathlib.Path
        The four files.

    Raises
    ------
    ValueError
        If ``model_path`` does not end in ``.keras``, the report would overwrite another
        file of the run, or a path is a folder.
    """

    def __init__(self, model_path, report_path=None):
        self.model = Path(model_path)
        if self.model.suffix != ".keras":
            raise ValueError(f"the model path must end in '.keras', got '{self.model}'.")
        self.pipeline = pipeline_path(self.model)
        self.predictions = oos_predictions_path(self.model)
        self.report = Path(report_path) if report_path is not None else default_report(self.model)
        others = (self.model, self.pipeline, self.predictions)
        if self.report.resolve() in {path.resolve() for path in others}:
            raise ValueError(f"the report path '{self.report}' is a file the model needs.")
        for path in (self.model, self.report):
            if path.is_dir():
                raise ValueError(f"'{path}' is a directory; give a file name.")

    def paths(self):
        """The four files by role: ``model``, ``pipeline``, ``oos_predictions``, ``report``."""
        return {
            "model": str(self.model),
            "pipeline": str(self.pipeline),
            "oos_predictions": str(self.predictions),
            "report": str(self.report),
        }

    def write(self, model, predictions_csv, report):
        """Write the run's four files as one transaction.

        Parameters
        ----------
        model : DirectionModel
            The final model. Its ``out_of_sample`` record is set here, from the predictions.
        predictions_csv : str
            The out-of-sample predictions
            (:meth:`~sktemporal.market.scores.WalkForwardResult.predictions_csv`).
        report : dict
            The JSON report; ``files`` and ``model_sha256`` are added to it.
        """
        model.out_of_sample = {
            **model.out_of_sample,
            "file": self.predictions.name,
            "sha256": hashlib.sha256(predictions_csv.encode("utf-8")).hexdigest(),
        }
        with FileTransaction(self.model) as files:
            model_sha256 = model.write_files(files, self.model)
            files.write_text(self.predictions, predictions_csv)
            report = report | {"files": self.paths(), "model_sha256": model_sha256}
            files.write_text(self.report, json.dumps(report, indent=2, allow_nan=False))

    def load_model(self):
        """The saved :class:`~sktemporal.market.direction_model.DirectionModel` (imports Keras)."""
        return DirectionModel.load(self.model)

    def read_report(self, path=None):
        """Read the JSON report, checked to be about this run's model.

        Parameters
        ----------
        path : str or os.PathLike, default=None
            Another copy of the report; ``None`` reads :attr:`report`.

        Returns
        -------
        dict

        Raises
        ------
        FileNotFoundError
            If there is no report.
        ValueError
            If it is not a report of ``sktemporal train`` or is about another model.
        """
        path = Path(path) if path is not None else self.report
        if not path.is_file():
            raise FileNotFoundError(
                f"no training report '{path}'; give the file `sktemporal train --report` "
                "wrote (--train-report, or train_report= in Python)."
            )
        with locked(self.model):
            text = path.read_text(encoding="utf-8")
            pipeline = read_pipeline(self.model)
        try:
            report = json.loads(text)
            if not isinstance(report, dict):
                raise ValueError("not a JSON object")
            needed = ("model_metrics", "baseline_metrics", "folds")
            missing = [key for key in needed if key not in report]
            if missing:
                raise ValueError(f"no {', '.join(missing)}")
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"'{path}' is not a report of `sktemporal train` ({error})."
            ) from None
        recorded = report.get("model_sha256")  # reports of older runs do not record it
        if recorded is not None and recorded != pipeline["model_sha256"]:
            raise ValueError(
                f"'{path}' is the report of another model than '{self.model}'; keep the files "
                "of one `sktemporal train` run together."
            )
        return report

    def read_evaluation(self, data=None):
        """The out-of-sample predictions and their prices, checked: see :func:`load_evaluation`."""
        with locked(self.model):
            pipeline, paths = self._read_predictions()
        return self._with_prices(pipeline, paths, data)

    def _read_predictions(self):
        pipeline = read_pipeline(self.model)
        saved = pipeline.get("out_of_sample") or {}
        if "sha256" not in saved:
            raise ValueError(
                f"'{self.model}' records no out-of-sample predictions: it was trained by an "
                "older sktemporal. Train it again with `sktemporal train`."
            )
        if not self.predictions.is_file():
            raise FileNotFoundError(
                f"no out-of-sample predictions file '{self.predictions}' next to the model; "
                "keep the files of one `sktemporal train` run together."
            )
        if sha256(self.predictions) != saved["sha256"]:
            raise ValueError(
                f"'{self.predictions}' is not the predictions file that was written with "
                f"'{self.model}'; keep the files of one `sktemporal train` run together."
            )
        return pipeline, split_paths(read_oos_predictions(self.predictions))

    def _with_prices(self, pipeline, paths, data):
        from sktemporal.market.labels import make_direction_labels

        predictions = paths[0]  # every path predicts the same dates with the same labels
        trained_on = pipeline.get("trained_on", {}).get("data_source")
        if data is None:
            if trained_on != BUNDLED_SOURCE:
                where = f"'{trained_on}'" if trained_on else "prices it does not record"
                raise ValueError(
                    f"the model was trained on {where}, not the bundled S&P 500; give those "
                    "prices (--data-path, or data= in Python)."
                )
            from sktemporal.market.datasets import load_sp500

            data, source = load_sp500(), BUNDLED_SOURCE
        else:
            source = "data"
        if not isinstance(data, pd.DataFrame) or "close" not in data.columns:
            raise ValueError("data must be a DataFrame of daily prices with a 'close' column.")

        close = data["close"]
        closes_for_dates(predictions.index, close)  # every date there, and the next close
        labels = make_direction_labels(
            close, horizon=pipeline["horizon"], threshold=pipeline["threshold"]
        )
        differ = labels.reindex(predictions.index).to_numpy() != predictions["y_true"].to_numpy()
        if differ.any():
            raise ValueError(
                f"the prices give other labels than the model was evaluated on, on "
                f"{int(differ.sum())} of {len(differ)} out-of-sample dates (the first "
                f"{iso_date(predictions.index[np.argmax(differ)])}); use the prices it was "
                "trained on."
            )
        return SavedEvaluation(self.model, pipeline, predictions, data, source, paths)


def load_evaluation(model_path, data=None):
    """Read the out-of-sample predictions of a saved model, and the prices they are about.

    The network itself is not loaded (no Keras import). The predictions file must be the
    one written with the model: its SHA-256 is checked against the preprocessing file. The
    labels ``y_true`` are recomputed from the prices' closes; any difference means other
    prices than the model was evaluated on, and is an error.

    Parameters
    ----------
    model_path : str or os.PathLike
        A ``.keras`` model written by ``sktemporal train``.
    data : pandas.DataFrame, default=None
        Daily OHLCV prices, e.g. from :func:`~sktemporal.market.datasets.load_ohlcv_csv`. ``None``
        uses the bundled S&P 500 when the model was trained on it.

    Returns
    -------
    SavedEvaluation

    Raises
    ------
    FileNotFoundError
        If the model, its preprocessing file or its predictions file is missing.
    ValueError
        If the files do not belong together, ``data`` is needed but not given, or the prices
        do not match the predictions.
    """
    return TrainingRunFiles(model_path).read_evaluation(data)


@validate_params(
    {
        "data": [pd.DataFrame, None],
        "threshold": THRESHOLD_CONSTRAINT,
        "cost_bps": COST_BPS_CONSTRAINT,
        "long_only": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def backtest_model(model_path, data=None, *, threshold=0.65, cost_bps=0.0, long_only=False):
    """Backtest the out-of-sample predictions saved with a model.

    :func:`load_evaluation` then :func:`backtest_predictions`; the model's fit on all rows
    is never used.

    Parameters
    ----------
    model_path : str or os.PathLike
        A ``.keras`` model written by ``sktemporal train``.
    data : pandas.DataFrame, default=None
        Daily OHLCV prices; ``None`` uses the bundled S&P 500 when the model was trained
        on it.
    threshold : float in [0, 1], default=0.65
        Smallest top-class probability acted on.
    cost_bps : float, default=0.0
        Cost of trading one unit of position, in basis points.
    long_only : bool, default=False
        Stay flat instead of going short.

    Returns
    -------
    OutOfSampleBacktest
    """
    evaluation = load_evaluation(model_path, data)
    return backtest_predictions(
        evaluation.predictions,
        evaluation.prices["close"],
        threshold=threshold,
        cost_bps=cost_bps,
        long_only=long_only,
    )
