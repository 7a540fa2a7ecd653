"""Scores of a walk-forward evaluation: the fold metrics, one fold's result and the whole run's."""

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, log_loss

from sktemporal.market.environment import versions
from sktemporal.market.serialization import format_number, iso_date, json_key, nan_to_none

if TYPE_CHECKING:
    from sktemporal.market.direction_model import DirectionModel

__all__ = [
    "BASELINES",
    "METRICS",
    "FoldResult",
    "WalkForwardResult",
    "aligned_proba",
    "class_shares",
    "fold_scores",
]

#: Metrics computed on every test fold, in report order.
METRICS = ("accuracy", "balanced_accuracy", "f1_macro", "log_loss")

#: Baselines scored on the same folds as the model, in report order.
BASELINES = ("majority", "persistence", "logistic_regression")


_PERSISTENCE_LOG_LOSS_NOTE = (
    "persistence predicts a class, not probabilities, so it has no log loss (NaN, null in JSON)"
)


def fold_scores(y_true, y_pred, proba, classes):
    """The fold metrics; ``proba`` columns follow ``classes``, ``None`` gives a NaN log loss."""
    with warnings.catch_warnings():
        # A class predicted but absent from a short test fold is reported, not an error.
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        balanced = balanced_accuracy_score(y_true, y_pred)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced),
        "f1_macro": float(
            f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)
        ),
        "log_loss": float("nan")
        if proba is None
        else float(log_loss(y_true, proba, labels=classes)),
    }


def aligned_proba(proba, fitted_classes, classes):
    """Probabilities with one column per class of ``classes`` (0 for classes not fitted).

    Rows are renormalised in float64: a network's float32 probabilities miss 1 by rounding.
    """
    aligned = np.zeros((len(proba), len(classes)))
    aligned[:, np.searchsorted(classes, fitted_classes)] = proba
    return aligned / aligned.sum(axis=1, keepdims=True)


def class_shares(labels, classes):
    labels = np.asarray(labels)
    return {json_key(c): float(np.mean(labels == c)) if len(labels) else 0.0 for c in classes}


@dataclass
class FoldResult:
    """Scores of the model and the baselines on one walk-forward fold.

    Attributes
    ----------
    fold : int
        Fold number, from 1.
    train_dates : tuple of pandas.Timestamp
        First and last date of the training samples.
    test_dates : tuple of pandas.Timestamp
        First and last date of the test samples.
    n_train, n_test : int
        Training and test samples (windows).
    scores : dict of str to dict of str to float
        ``scores[name][metric]`` for ``name`` in ``("model", *BASELINES)`` and ``metric`` in
        :data:`METRICS`. The persistence log loss is NaN: it has no probabilities.
    test_class_shares : dict of str to float
        Share of each class among the test labels.
    n_iter : int or None
        Epochs the classifier ran (``n_iter_``), when it reports them.
    fit_seconds : float
        Wall time of the classifier's ``fit``.
    """

    fold: int
    train_dates: tuple
    test_dates: tuple
    n_train: int
    n_test: int
    scores: dict
    test_class_shares: dict
    n_iter: int | None = None
    fit_seconds: float = float("nan")

    def to_dict(self):
        """JSON-ready form; NaN becomes ``None``."""
        return {
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
                "class_shares": self.test_class_shares,
            },
            "scores": nan_to_none(self.scores),
            "n_iter": self.n_iter,
            "fit_seconds": round(self.fit_seconds, 3),
        }


@dataclass
class WalkForwardResult:
    """Outcome of :func:`walk_forward_evaluate`.

    Attributes
    ----------
    folds : list of FoldResult
        Per-fold scores, in time order.
    classes : ndarray
        The classes found in the labels, sorted.
    class_shares : dict of str to float
        Share of each class among all evaluated samples.
    data : dict
        First and last date and number of rows of the prices, of the labelled rows and of the
        samples (rows with a full window and a label).
    parameters : dict
        Settings of the evaluation and the classifier's name and parameters.
    predictions : pandas.DataFrame
        The model's out-of-sample predictions: one row per tested sample, and only those
        (never a training sample), in time order, each date once. Indexed by the sample's
        date (index name ``date``), with columns ``fold`` (from 1), ``y_true``,
        ``predicted_class`` (the most probable class) and one ``proba_<class>`` column per
        class of ``classes`` (e.g. ``proba_-1, proba_0, proba_1``), the probabilities of the
        model fitted on that fold's training samples. With CPCV, every path in turn, with a
        first column ``path`` (from 1): each date once per path.
    model : DirectionModel or None
        The classifier refitted on all labelled rows, ready to predict; ``None`` when
        ``refit=False``.
    path_scores : dict or None
        CPCV only: ``path_scores[path][name][metric]``, each method scored on each full
        out-of-sample path (paths from 1); None for the other schemes.
    """

    folds: list
    classes: np.ndarray
    class_shares: dict
    data: dict
    parameters: dict
    predictions: pd.DataFrame
    model: "DirectionModel | None" = None
    path_scores: dict | None = None

    #: Methods scored, the model first.
    names = ("model", *BASELINES)

    def fold_scores(self):
        """Scores by fold and method, one row per (fold, method).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``(fold, method)``, with one column per metric of :data:`METRICS`.
        """
        rows = {(fold.fold, name): fold.scores[name] for fold in self.folds for name in self.names}
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRICS))
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=["fold", "method"])
        return frame

    def summary(self):
        """Mean and standard deviation (``ddof=1``) of each metric over the folds.

        Returns
        -------
        pandas.DataFrame
            One row per method (``"model"`` then the baselines), columns
            ``(metric, "mean" | "std")``.
        """
        scores = self.fold_scores()
        grouped = scores.groupby(level="method", sort=False)
        summary = pd.concat({"mean": grouped.mean(), "std": grouped.std(ddof=1)}, axis=1)
        return summary.swaplevel(axis=1)[[(m, s) for m in METRICS for s in ("mean", "std")]]

    def path_table(self):
        """Scores by CPCV path and method, one row per (path, method); None without paths.

        Returns
        -------
        pandas.DataFrame or None
            Indexed by ``(path, method)``, with one column per metric of :data:`METRICS`.
        """
        if self.path_scores is None:
            return None
        rows = {
            (path, name): scores[name]
            for path, scores in self.path_scores.items()
            for name in self.names
        }
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRICS))
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=["path", "method"])
        return frame

    def path_summary(self):
        """Mean, standard deviation (``ddof=1``) and worst of each metric over the CPCV paths.

        The worst is the lowest accuracy, balanced accuracy and F1, and the highest log loss.

        Returns
        -------
        pandas.DataFrame or None
            One row per method, columns ``(metric, "mean" | "std" | "worst")``; None
            without paths.
        """
        table = self.path_table()
        if table is None:
            return None
        grouped = table.groupby(level="method", sort=False)
        worst = grouped.min()
        worst["log_loss"] = grouped["log_loss"].max()
        summary = pd.concat(
            {"mean": grouped.mean(), "std": grouped.std(ddof=1), "worst": worst}, axis=1
        )
        statistics = ("mean", "std", "worst")
        return summary.swaplevel(axis=1)[[(m, s) for m in METRICS for s in statistics]]

    def metrics(self, name="model"):
        """Fold means of every metric of one method, with their std and per-fold values.

        Parameters
        ----------
        name : str, default="model"
            ``"model"`` or one of :data:`BASELINES`.

        Returns
        -------
        dict
            ``{metric: mean, ..., "std": {metric: std}, "folds": [{metric: value}, ...]}``;
            NaN as ``None``. The persistence entry also has a ``"log_loss_note"``.
        """
        summary = self.summary().loc[name]
        entry = {metric: float(summary[(metric, "mean")]) for metric in METRICS}
        entry["std"] = {metric: float(summary[(metric, "std")]) for metric in METRICS}
        entry["folds"] = [fold.scores[name] for fold in self.folds]
        if name == "persistence":
            entry["log_loss_note"] = _PERSISTENCE_LOG_LOSS_NOTE
        return nan_to_none(entry)

    def to_dict(self):
        """The JSON report: metrics, folds, data range, class shares, parameters and versions.

        Returns
        -------
        dict
            Top-level keys ``model_metrics``, ``baseline_metrics`` (by baseline name),
            ``folds``, ``data``, ``out_of_sample`` (date range and size of
            ``predictions``), ``class_shares``, ``parameters`` and ``versions``; plus
            ``final_model`` when the model was refitted and ``paths`` (per-path scores and
            their mean, std and worst) for CPCV. Serialisable with
            ``json.dumps(..., allow_nan=False)``.
        """
        report = {
            "model_metrics": self.metrics("model"),
            "baseline_metrics": {name: self.metrics(name) for name in BASELINES},
            "folds": [fold.to_dict() for fold in self.folds],
            "data": self.data,
            "out_of_sample": self.out_of_sample(),
            "class_shares": self.class_shares,
            "parameters": self.parameters,
            "versions": versions(),
        }
        if self.path_scores is not None:
            summary = self.path_summary()
            report["paths"] = nan_to_none(
                {
                    "summary": {
                        name: {
                            metric: {
                                statistic: float(summary.loc[name, (metric, statistic)])
                                for statistic in ("mean", "std", "worst")
                            }
                            for metric in METRICS
                        }
                        for name in self.names
                    },
                    "scores": [
                        {"path": path, "scores": scores}
                        for path, scores in self.path_scores.items()
                    ],
                }
            )
        if self.model is not None:
            report["final_model"] = self.model.describe()
        return report

    def out_of_sample(self):
        """Size and date range of the out-of-sample predictions.

        Returns
        -------
        dict
            ``n_samples`` (dates predicted), ``n_paths`` (1 but for CPCV), ``first_date``,
            ``last_date`` and ``columns`` of ``predictions``.
        """
        index = self.predictions.index.unique().sort_values()
        n_paths = self.predictions["path"].nunique() if "path" in self.predictions else 1
        return {
            "n_samples": len(index),
            "n_paths": int(n_paths),
            "first_date": iso_date(index[0]) if len(index) else None,
            "last_date": iso_date(index[-1]) if len(index) else None,
            "columns": list(self.predictions.columns),
        }

    def predictions_csv(self):
        """The out-of-sample predictions as CSV text, the way ``sktemporal train`` saves them.

        Returns
        -------
        str
            A header ``date,fold,y_true,predicted_class,proba_...`` and one line per
            prediction, with ``\n`` line ends; probabilities are written with enough digits
            to be read back exactly.
        """
        return self.predictions.to_csv(index_label="date", lineterminator="\n")

    def format_table(self):
        """The per-fold and mean ± std scores as a plain-text table.

        Returns
        -------
        str
            One block per fold (model and baselines as rows, metrics as columns), then the
            mean ± std over the folds, and a note on the persistence log loss.
        """
        scores, summary = self.fold_scores(), self.summary()
        header = f"{'fold':<6}{'method':<21}" + "".join(f"{m:>19}" for m in METRICS)
        lines = [header, "-" * len(header)]
        for fold in self.folds:
            period = f"test {iso_date(fold.test_dates[0])}..{iso_date(fold.test_dates[1])}"
            lines.append(f"{fold.fold:<6}{period} ({fold.n_test} samples)")
            for name in self.names:
                row = scores.loc[(fold.fold, name)]
                cells = "".join(f"{format_number(row[m]):>19}" for m in METRICS)
                lines.append(f"{'':<6}{name:<21}{cells}")
        lines.append("-" * len(header))
        lines.append(f"mean ± std over {len(self.folds)} folds")
        for name in self.names:
            cells = ""
            for m in METRICS:
                mean, std = summary.loc[name, (m, "mean")], summary.loc[name, (m, "std")]
                cells += f"{format_number(mean, std):>19}"
            lines.append(f"{'':<6}{name:<21}{cells}")
        paths = self.path_summary()
        if paths is not None:
            lines.append("-" * len(header))
            lines.append(f"over the {len(self.path_scores)} CPCV paths: mean ± std (worst)")
            lines.append(f"{'':<6}{'method':<21}" + "".join(f"{m:>26}" for m in METRICS))
            for name in self.names:
                cells = ""
                for m in METRICS:
                    mean, std, worst = (paths.loc[name, (m, s)] for s in ("mean", "std", "worst"))
                    cell = format_number(mean, std)
                    cell += "" if np.isnan(worst) else f" ({format_number(worst)})"
                    cells += f"{cell:>26}"
                lines.append(f"{'':<6}{name:<21}{cells}")
        lines.append(f"n/a: {_PERSISTENCE_LOG_LOSS_NOTE.split(' (')[0]}.")
        return "\n".join(lines)
