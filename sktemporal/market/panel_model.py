"""One direction model for many assets: fitted on a panel, saved and read like the single one.

:class:`PanelDirectionModel` is a :class:`~sktemporal.market.direction_model.DirectionModel`
whose prices are a panel (symbol, date): each asset's indicators on its own rows, one scaler
and one classifier for all of them, windows that never cross two assets. Its files are the
same two (``.keras`` and ``.pipeline.json``, which records ``"panel"``); :func:`load_model`
reads either kind.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.preprocessing import StandardScaler

from sktemporal.market.direction_model import DirectionModel, read_pipeline
from sktemporal.market.features import TechnicalIndicators
from sktemporal.market.panel import prepare_panel
from sktemporal.market.serialization import iso_date
from sktemporal.windowing import SlidingWindowTransformer

__all__ = ["PanelDirectionModel", "fit_panel_model", "load_model"]


def fit_panel_model(prices, classifier, *, sequence_length=30, horizon=1, threshold=0.005):
    """Fit one window classifier on every asset's labelled windows, ready to predict panels.

    The scaler is fitted on the feature rows of every asset; the classifier (fitted as given,
    not cloned) on every sample of :func:`~sktemporal.market.panel.prepare_panel`.

    Parameters
    ----------
    prices : pandas.DataFrame
        A price panel indexed by (symbol, date).
    classifier : classifier
        An unfitted window classifier.
    sequence_length, horizon, threshold
        As for :func:`~sktemporal.market.direction_model.fit_direction_model`.

    Returns
    -------
    PanelDirectionModel
    """
    data = prepare_panel(
        prices, horizon=horizon, threshold=threshold, sequence_length=sequence_length
    )
    scaler = StandardScaler().fit(data.X.to_numpy())
    windows = data.windows(sequence_length, scaler=scaler)  # lazy, over the scaled table
    y = data.y.to_numpy()[data.samples]
    dates = data.sample_index.get_level_values(1)
    by_date = np.argsort(dates, kind="stable")  # the validation tail: the latest dates
    started = time.perf_counter()
    classifier.fit(windows.select(by_date), y[by_date])
    return PanelDirectionModel(
        classifier=classifier,
        scaler=scaler,
        sequence_length=sequence_length,
        horizon=horizon,
        threshold=threshold,
        feature_names=list(data.X.columns),
        feature_set=data.feature_set,
        symbols=data.symbols,
        trained_on={
            "first_sample_date": iso_date(dates.min()),
            "last_sample_date": iso_date(dates.max()),
            "n_samples": len(y),
            "n_assets": len(data.symbols),
            "fit_seconds": round(time.perf_counter() - started, 3),
        },
    )


@dataclass
class PanelDirectionModel(DirectionModel):
    """A fitted direction classifier of many assets, with its preprocessing.

    Prediction rebuilds each asset's indicators on its own rows, scales them with the one
    training scaler and windows each asset apart (no window holds two assets).

    Attributes
    ----------
    feature_set : {"ohlcv", "close"}
        The indicators (:class:`~sktemporal.market.features.TechnicalIndicators`).
    symbols : list of str
        The assets it was trained on; it predicts any asset given in the same layout.

    The other attributes are those of
    :class:`~sktemporal.market.direction_model.DirectionModel`.
    """

    feature_set: str = "ohlcv"
    symbols: list = field(default_factory=list)

    def make_windows(self, prices):
        """The scaled windows of every asset's rows that have a full window.

        Parameters
        ----------
        prices : pandas.DataFrame
            A price panel indexed by (symbol, date).

        Returns
        -------
        index : pandas.MultiIndex
            (symbol, date) of the row each window ends with.
        windows : PanelWindows of shape (n_windows, sequence_length, n_features)
            Read from the scaled feature table when indexed; the classifier gathers them a
            batch at a time, so predicting a whole panel copies no windows.
        """
        from sktemporal.market.datasets import check_price_panel

        check_price_panel(prices)
        needed = TechnicalIndicators.warmup_rows + self.sequence_length
        level = prices.index.get_level_values(0)
        sizes = pd.Series(level).value_counts(sort=False)
        short = {symbol: int(n) for symbol, n in sizes.items() if n < needed}
        if len(short) == len(sizes):
            raise ValueError(
                f"a prediction with sequence_length={self.sequence_length} needs at least "
                f"{needed} rows of an asset; every asset has fewer."
            )
        if short:
            warnings.warn(
                f"no prediction for {len(short)} asset(s) shorter than one window of features "
                f"({needed} rows): " + ", ".join(f"{s} ({n} rows)" for s, n in short.items()),
                UserWarning,
                stacklevel=3,
            )
        tables, own_index = {}, []
        indicators = TechnicalIndicators(feature_set=self.feature_set)
        for symbol in pd.unique(level):
            if symbol in short:
                continue
            rows = prices[level == symbol].droplevel(0)
            features = indicators.fit_transform(rows)[TechnicalIndicators.warmup_rows :]
            undefined = ~np.isfinite(features)
            if undefined.any():
                row = int(np.argwhere(undefined)[0][0]) + TechnicalIndicators.warmup_rows
                raise ValueError(
                    f"an indicator of {symbol!r} is undefined on {rows.index[row]}; drop or "
                    "repair those rows."
                )
            index = rows.index[TechnicalIndicators.warmup_rows :]
            tables[symbol] = pd.DataFrame(self.scaler.transform(features), index=index)
            own_index.append(
                pd.MultiIndex.from_product([[symbol], index[self.sequence_length - 1 :]])
            )
        table = pd.concat(tables, names=["symbol", "date"]).astype(np.float32)
        windows = SlidingWindowTransformer(self.sequence_length, short_entities="pad")
        windows = windows.fit_transform(table)
        position = table.groupby(level=0, sort=False).cumcount().to_numpy()
        keep = position >= self.sequence_length - 1
        index = table.index[keep]
        return index, windows.select(keep)

    def check_no_lookahead(self, prices, *, n_rows=300, random_state=0):
        """Prove on each asset's last ``n_rows`` rows that no prediction reads a later date.

        Runs :func:`sktemporal.lookahead.check_no_lookahead` on the fitted model (features,
        scaling, windows and classifier together) over the panel, cut by date: every
        asset's rows after a cutoff date are perturbed at once (noisy, extreme and shuffled
        futures), and no prediction dated on or before it may move, whichever asset it is.

        Parameters
        ----------
        prices : pandas.DataFrame
            A price panel indexed by (symbol, date).
        n_rows : int, default=300
            How many of each asset's last rows to check.
        random_state : int, default=0
            Seed of the perturbations.

        Returns
        -------
        LookaheadReport
        """
        from sktemporal.lookahead import check_no_lookahead

        rows = prices.groupby(level=0, sort=False).tail(n_rows)
        sizes = rows.groupby(level=0, sort=False).size()
        long_enough = sizes.index[sizes >= TechnicalIndicators.warmup_rows + self.sequence_length]
        rows = rows[rows.index.get_level_values(0).isin(long_enough)]
        return check_no_lookahead(
            _RowAlignedPanel(self),
            rows,
            fit=False,
            n_trials=1,
            kinds=("noise", "extreme", "shuffle"),
            random_state=random_state,
        )

    def describe(self):
        """The preprocessing and settings as JSON, with ``panel`` (feature set, symbols)."""
        description = super().describe()
        description["features"] = (
            f"sktemporal.market.features.TechnicalIndicators(feature_set={self.feature_set!r}), "
            "per asset"
        )
        description["panel"] = {"feature_set": self.feature_set, "symbols": list(self.symbols)}
        return description

    @classmethod
    def _load(cls, path):
        model = super()._load(path)
        panel = read_pipeline(path)["panel"]
        model.feature_set, model.symbols = panel["feature_set"], list(panel["symbols"])
        return model


def load_model(path):
    """Read a model of ``sktemporal train``: a :class:`PanelDirectionModel` or a single one.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.keras`` file, its ``.pipeline.json`` beside it.

    Returns
    -------
    DirectionModel or PanelDirectionModel
    """
    if "panel" in read_pipeline(path):
        return PanelDirectionModel.load(path)
    return DirectionModel.load(path)


class _RowAlignedPanel(BaseEstimator):
    """A fitted panel model as an estimator with one output row per input row (NaN before a
    full window), for the look-ahead check."""

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def predict_proba(self, prices):
        frame = self.model.predict_proba_frame(prices).drop(columns="predicted_class")
        return frame.reindex(prices.index).to_numpy()
