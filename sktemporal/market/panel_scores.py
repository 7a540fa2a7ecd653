"""Scores of the walk-forward by date on a panel: per fold, pooled and per asset."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sktemporal.market.environment import versions
from sktemporal.market.scores import METRICS, class_shares, fold_scores
from sktemporal.market.serialization import format_number, iso_date, nan_to_none

__all__ = ["PANEL_METHODS", "PanelFoldResult", "PanelWalkForwardResult", "panel_fold_result"]

#: Methods scored on a panel, in report order; ``model_per_asset`` only when asked for.
PANEL_METHODS = (
    "model",
    "model_per_asset",
    "majority",
    "persistence",
    "logistic_regression",
    "logistic_regression_per_asset",
)


@dataclass
class PanelFoldResult:
    """One fold of a panel's walk-forward: its dates and every method's scores.

    Attributes
    ----------
    fold : int
        From 1.
    train_dates, test_dates : tuple of pandas.Timestamp
        First and last date of the training and of the test samples.
    n_train, n_test : int
        Training and test samples, all assets together.
    scores : dict
        ``scores[method][metric]`` on the test samples of every asset pooled.
    asset_scores : dict
        ``asset_scores[symbol][method][metric]`` on each asset's test samples.
    asset_sizes : dict
        Test samples of each asset.
    test_class_shares : dict
        Share of each class among the pooled test labels.
    n_iter : int or None
        Epochs the pooled model ran.
    fit_seconds : float
        Wall time of the pooled model's ``fit``.
    """

    fold: int
    train_dates: tuple
    test_dates: tuple
    n_train: int
    n_test: int
    scores: dict
    asset_scores: dict
    asset_sizes: dict
    test_class_shares: dict
    n_iter: int | None = None
    fit_seconds: float = float("nan")

    def to_dict(self):
        """JSON-ready form; NaN becomes ``None``."""
        return nan_to_none(
            {
                "fold": self.fold,
                "train": {
                    "first_date": iso_date(self.train_dates[0]),
                    "last_date": iso_date(self.train_dates[1]),
                    "n_samples": self.n_train,
                },
                "test": {
                    "first_date": iso_date(self.test_dates[0]),
                    "last_date": iso_date(self.test_dates[1]),
                    "n_samples": self.n_test,
                    "n_samples_per_asset": self.asset_sizes,
                    "class_shares": self.test_class_shares,
                },
                "scores": self.scores,
                "asset_scores": self.asset_scores,
                "n_iter": self.n_iter,
                "fit_seconds": round(self.fit_seconds, 3),
            }
        )


def panel_fold_result(
    number, *, train_dates, test_dates, n_train, y_test, symbols, output, classes, n_iter,
    fit_seconds,
):  # fmt: skip
    """Score every method's ``(predicted, proba)`` of ``output`` pooled and per asset."""
    asset_scores, asset_sizes = {}, {}
    for symbol in pd.unique(symbols):
        own = symbols == symbol
        asset_sizes[str(symbol)] = int(own.sum())
        asset_scores[str(symbol)] = {
            name: fold_scores(
                y_test[own], predicted[own], None if proba is None else proba[own], classes
            )
            for name, (predicted, proba) in output.items()
        }
    return PanelFoldResult(
        fold=number,
        train_dates=train_dates,
        test_dates=test_dates,
        n_train=n_train,
        n_test=len(y_test),
        scores={
            name: fold_scores(y_test, predicted, proba, classes)
            for name, (predicted, proba) in output.items()
        },
        asset_scores=asset_scores,
        asset_sizes=asset_sizes,
        test_class_shares=class_shares(y_test, classes),
        n_iter=n_iter,
        fit_seconds=fit_seconds,
    )


@dataclass
class PanelWalkForwardResult:
    """Outcome of :func:`~sktemporal.market.panel.panel_walk_forward_evaluate`.

    Attributes
    ----------
    folds : list of PanelFoldResult
        In time order.
    classes : ndarray
        The classes of the labels, sorted.
    symbols : list
        The assets evaluated.
    class_shares : dict
        Share of each class among all samples.
    data, parameters : dict
        What was evaluated, and how.
    predictions : pandas.DataFrame
        The pooled model's out-of-sample predictions, indexed by (symbol, date), columns
        ``fold``, ``y_true``, ``predicted_class`` and ``proba_<class>``.
    model : PanelDirectionModel or None
        The model refitted on every sample, when there is one.
    """

    folds: list
    classes: np.ndarray
    symbols: list
    class_shares: dict
    data: dict
    parameters: dict
    predictions: pd.DataFrame
    model: object = None

    @property
    def names(self):
        """tuple: The methods scored, in report order."""
        return tuple(name for name in PANEL_METHODS if name in self.folds[0].scores)

    def fold_scores(self, symbol=None):
        """Scores by (fold, method): pooled, or of one asset.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``(fold, method)``, one column per metric.
        """
        rows = {}
        for fold in self.folds:
            scores = fold.scores if symbol is None else fold.asset_scores.get(symbol)
            if scores is None:  # the asset has no test sample in this fold
                continue
            for name in self.names:
                rows[(fold.fold, name)] = scores[name]
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRICS))
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=["fold", "method"])
        return frame

    def summary(self, symbol=None):
        """Mean and standard deviation (``ddof=1``) over the folds, pooled or of one asset.

        Returns
        -------
        pandas.DataFrame
            One row per method, columns ``(metric, "mean" | "std")``.
        """
        grouped = self.fold_scores(symbol).groupby(level="method", sort=False)
        summary = pd.concat({"mean": grouped.mean(), "std": grouped.std(ddof=1)}, axis=1)
        return summary.swaplevel(axis=1)[[(m, s) for m in METRICS for s in ("mean", "std")]]

    def asset_summary(self):
        """:meth:`summary` of every asset, indexed by (symbol, method)."""
        return pd.concat(
            {symbol: self.summary(symbol) for symbol in self.symbols}, names=["symbol", "method"]
        )

    def _metrics(self, summary, name, folds):
        entry = {metric: float(summary.loc[name, (metric, "mean")]) for metric in METRICS}
        entry["std"] = {metric: float(summary.loc[name, (metric, "std")]) for metric in METRICS}
        entry["folds"] = folds
        return entry

    def to_dict(self):
        """The JSON report: pooled and per-asset metrics, folds, data, parameters, versions.

        Returns
        -------
        dict
            ``model_metrics`` and ``baseline_metrics`` (pooled over the assets, as the
            single-series report has them), ``asset_metrics[symbol][method]``, ``folds``,
            ``data``, ``out_of_sample``, ``class_shares``, ``parameters``, ``versions`` and
            ``panel: true``. NaN is ``None``.
        """
        pooled = self.summary()
        metrics = {
            name: self._metrics(pooled, name, [fold.scores[name] for fold in self.folds])
            for name in self.names
        }
        assets = {}
        for symbol in self.symbols:
            own = self.summary(symbol)
            assets[symbol] = {
                name: self._metrics(
                    own,
                    name,
                    [f.asset_scores[symbol][name] for f in self.folds if symbol in f.asset_scores],
                )
                for name in self.names
            }
        report = {
            "panel": True,
            "model_metrics": metrics["model"],
            "baseline_metrics": {name: metrics[name] for name in self.names if name != "model"},
            "asset_metrics": assets,
            "folds": [fold.to_dict() for fold in self.folds],
            "data": self.data,
            "out_of_sample": self.out_of_sample(),
            "class_shares": self.class_shares,
            "parameters": self.parameters,
            "versions": versions(),
        }
        if self.model is not None:
            report["final_model"] = self.model.describe()
        return nan_to_none(report)

    def out_of_sample(self):
        """Size and date range of the out-of-sample predictions."""
        dates = self.predictions.index.get_level_values(1)
        return {
            "n_samples": len(self.predictions),
            "n_dates": int(dates.nunique()),
            "n_paths": 1,
            "first_date": iso_date(dates.min()),
            "last_date": iso_date(dates.max()),
            "columns": list(self.predictions.columns),
        }

    def predictions_csv(self):
        """The out-of-sample predictions as CSV: ``symbol,date,fold,y_true,...``."""
        return self.predictions.to_csv(lineterminator="\n")

    def format_table(self):
        """Pooled per-fold scores, their mean ± std, and each asset's mean ± std, as text."""
        metrics = ("balanced_accuracy", "log_loss", "accuracy", "f1_macro")
        width = max(len(name) for name in self.names) + 2
        header = f"{'':<8}{'method':<{width}}" + "".join(f"{m:>20}" for m in metrics)
        lines = ["pooled over the assets", header, "-" * len(header)]
        table = self.fold_scores()
        for fold in self.folds:
            lines.append(
                f"fold {fold.fold}: test {iso_date(fold.test_dates[0])}..."
                f"{iso_date(fold.test_dates[1])} ({fold.n_test} samples, "
                f"{len(fold.asset_scores)} assets)"
            )
            for name in self.names:
                row = table.loc[(fold.fold, name)]
                cells = "".join(f"{format_number(row[m]):>20}" for m in metrics)
                lines.append(f"{'':<8}{name:<{width}}{cells}")
        lines.append("-" * len(header))
        lines.append(f"mean ± std over {len(self.folds)} folds")
        lines.extend(self._summary_lines(self.summary(), "", metrics, width))
        lines.append("")
        lines.append("per asset: mean ± std over the folds")
        lines.append(f"{'asset':<8}{'method':<{width}}" + "".join(f"{m:>20}" for m in metrics))
        for symbol in self.symbols:
            lines.extend(self._summary_lines(self.summary(symbol), symbol, metrics, width))
        lines.append(
            "n/a: persistence predicts a class, not probabilities, so it has no log loss."
        )
        return "\n".join(lines)

    def _summary_lines(self, summary, label, metrics, width):
        lines = []
        for number, name in enumerate(self.names):
            row = summary.loc[name]
            cells = "".join(
                f"{format_number(row[(m, 'mean')], row[(m, 'std')]):>20}" for m in metrics
            )
            lines.append(f"{label if number == 0 else '':<8}{name:<{width}}{cells}")
        return lines
