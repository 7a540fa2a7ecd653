"""The files of one ``sktemporal train`` run, read back with their checks, and their backtest."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sktemporal.market.direction_model import oos_predictions_path, read_pipeline
from sktemporal.market.out_of_sample import (
    backtest_predictions,
    closes_for_dates,
    read_oos_predictions,
)
from sktemporal.market.serialization import iso_date

__all__ = ["BUNDLED_SOURCE", "SavedEvaluation", "backtest_model", "load_evaluation"]

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
        The walk-forward out-of-sample predictions (:func:`read_oos_predictions`).
    prices : pandas.DataFrame
        The daily prices: those given, or the bundled ones the model was trained on.
    source : str
        Where the prices come from: ``"data"`` when given, else :data:`BUNDLED_SOURCE`.
    """

    model_path: Path
    pipeline: dict
    predictions: pd.DataFrame
    prices: pd.DataFrame
    source: str


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
    from sktemporal.market.labels import make_direction_labels

    model_path = Path(model_path)
    pipeline = read_pipeline(model_path)
    saved = pipeline.get("out_of_sample") or {}
    if "sha256" not in saved:
        raise ValueError(
            f"'{model_path}' records no out-of-sample predictions: it was trained by an older "
            "sktemporal. Train it again with `sktemporal train`."
        )
    path = oos_predictions_path(model_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no out-of-sample predictions file '{path}' next to the model; keep the files of "
            "one `sktemporal train` run together."
        )
    from sktemporal._atomic import sha256

    if sha256(path) != saved["sha256"]:
        raise ValueError(
            f"'{path}' is not the predictions file that was written with '{model_path}'; keep "
            "the files of one `sktemporal train` run together."
        )
    predictions = read_oos_predictions(path)

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
            f"{iso_date(predictions.index[np.argmax(differ)])}); use the prices it was trained on."
        )
    return SavedEvaluation(model_path, pipeline, predictions, data, source)


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
