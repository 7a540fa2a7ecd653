"""Tests for the walk-forward evaluation: data alignment, folds, baselines, refit."""

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import TimeSeriesSplit

from sktemporal.market.scores import BASELINES, METRICS, fold_scores
from sktemporal.market.walk_forward import walk_forward_evaluate
from tests._market_fixtures import (
    N_ROWS,
    N_SPLITS,
    SEQUENCE_LENGTH,
    THRESHOLD,
    WARMUP,
    LastRowClassifier,
    direction,
)


def expected_folds(prices, horizon, sequence_length=SEQUENCE_LENGTH, n_splits=N_SPLITS):
    """Sample positions (in ``prices``), labels and test folds, recomputed from scratch."""
    close = prices["close"].to_numpy()
    positions = np.arange(WARMUP + sequence_length - 1, len(prices) - horizon)
    labels = direction(close[positions + horizon] / close[positions] - 1, THRESHOLD)
    splits = TimeSeriesSplit(n_splits=n_splits, gap=horizon).split(positions)
    return close, positions, labels, list(splits)


# ---------------------------------------------------------------------------- dataset


def test_a_training_fold_with_one_class_is_named(evaluation_prices):
    rising = evaluation_prices.copy()
    rising.iloc[:150, :4] = 100 * 1.01 ** np.arange(150)[:, None]  # up 1% a day: all labels 1

    with pytest.raises(ValueError, match="training samples of fold 1 .* all have the label 1"):
        walk_forward_evaluate(
            rising.iloc[:200],
            LastRowClassifier(),
            n_splits=N_SPLITS,
            sequence_length=SEQUENCE_LENGTH,
        )


# ---------------------------------------------------------------------------- walk-forward


@pytest.mark.parametrize("horizon", [1, 3])
def test_windows_end_at_the_scaled_row_of_each_sample(evaluation_prices, horizon):
    # A window classifier that reads only the last row is the logistic baseline: same scores.
    evaluation_run = walk_forward_evaluate(
        evaluation_prices,
        LastRowClassifier(),
        sequence_length=SEQUENCE_LENGTH,
        horizon=horizon,
        n_splits=N_SPLITS,
        refit=False,
    )
    scores = evaluation_run.fold_scores()
    model = scores.xs("model", level="method")
    logistic = scores.xs("logistic_regression", level="method")
    assert_allclose(model.to_numpy(), logistic.to_numpy(), rtol=1e-12)


def test_folds_follow_time_series_split_with_a_gap(evaluation_prices):
    horizon = 3
    evaluation_run = walk_forward_evaluate(
        evaluation_prices,
        LastRowClassifier(),
        sequence_length=SEQUENCE_LENGTH,
        horizon=horizon,
        n_splits=N_SPLITS,
        refit=False,
    )
    _, positions, _, splits = expected_folds(evaluation_prices, horizon)
    for fold, (train, test) in zip(evaluation_run.folds, splits, strict=True):
        assert fold.n_train == len(train) and fold.n_test == len(test)
        assert fold.train_dates == (
            evaluation_prices.index[positions[train[0]]],
            evaluation_prices.index[positions[train[-1]]],
        )
        assert fold.test_dates == (
            evaluation_prices.index[positions[test[0]]],
            evaluation_prices.index[positions[test[-1]]],
        )
        assert positions[test[0]] - positions[train[-1]] == horizon + 1


def test_no_look_ahead_later_prices_do_not_change_earlier_folds(evaluation_prices):
    # Prices from the last fold's first test row + horizon on only enter the last fold. Were
    # the scaler fitted on all rows, or a window to reach ahead, earlier folds would move.
    horizon = 2
    _, positions, _, splits = expected_folds(evaluation_prices, horizon)
    first_unseen = positions[splits[-1][1][0]] + horizon
    perturbed = evaluation_prices.copy()
    rng = np.random.default_rng(0)
    perturbed.iloc[first_unseen:, :] *= rng.uniform(0.5, 2.0, size=(N_ROWS - first_unseen, 1))

    kwargs = dict(sequence_length=SEQUENCE_LENGTH, horizon=horizon, n_splits=N_SPLITS, refit=False)
    before = walk_forward_evaluate(evaluation_prices, LastRowClassifier(), **kwargs).fold_scores()
    after = walk_forward_evaluate(perturbed, LastRowClassifier(), **kwargs).fold_scores()

    earlier = before.index.get_level_values("fold") < N_SPLITS
    pd.testing.assert_frame_equal(before[earlier], after[earlier])
    assert not before[~earlier].equals(after[~earlier])


def test_baselines_match_an_independent_computation(evaluation_prices, evaluation_run):
    close, positions, labels, splits = expected_folds(evaluation_prices, horizon=1)
    for fold, (train, test) in zip(evaluation_run.folds, splits, strict=True):
        y_train, y_test = labels[train], labels[test]
        values, counts = np.unique(y_train, return_counts=True)
        majority = values[np.argmax(counts)]
        prior = dict(zip(values, counts / counts.sum(), strict=True))
        expected_majority = {
            "accuracy": np.mean(y_test == majority),
            "balanced_accuracy": balanced_accuracy_score(y_test, np.full(len(test), majority)),
            "log_loss": -np.mean([np.log(prior[label]) for label in y_test]),
        }
        # Persistence: the direction of the return that ended at row t, known at t.
        rows = positions[test]
        past = direction(close[rows] / close[rows - 1] - 1, THRESHOLD)
        expected_persistence = {
            "accuracy": accuracy_score(y_test, past),
            "balanced_accuracy": balanced_accuracy_score(y_test, past),
        }
        for metric, value in expected_majority.items():
            assert fold.scores["majority"][metric] == pytest.approx(value, rel=1e-12)
        for metric, value in expected_persistence.items():
            assert fold.scores["persistence"][metric] == pytest.approx(value, rel=1e-12)
        assert np.isnan(fold.scores["persistence"]["log_loss"])
        assert fold.test_class_shares == {
            str(c): pytest.approx(np.mean(y_test == c)) for c in (-1, 0, 1)
        }


def test_model_scores_are_valid(evaluation_run):
    scores = evaluation_run.fold_scores()
    assert scores.shape == (N_SPLITS * 4, len(METRICS))
    model = scores.xs("model", level="method")
    assert (
        (
            (model[["accuracy", "balanced_accuracy", "f1_macro"]] >= 0)
            & (model[["accuracy", "balanced_accuracy", "f1_macro"]] <= 1)
        )
        .all()
        .all()
    )
    assert (model["log_loss"] > 0).all()
    assert all(fold.n_iter == 1 for fold in evaluation_run.folds)


def test_report_structure(evaluation_prices, evaluation_run):
    report = json.loads(json.dumps(evaluation_run.to_dict(), allow_nan=False))

    assert set(report) >= {
        "model_metrics",
        "baseline_metrics",
        "folds",
        "data",
        "class_shares",
        "parameters",
        "versions",
        "final_model",
    }
    assert set(report["baseline_metrics"]) == set(BASELINES)
    for entry in [report["model_metrics"], *report["baseline_metrics"].values()]:
        assert set(METRICS) <= set(entry)
        assert len(entry["folds"]) == N_SPLITS
        assert entry["accuracy"] == pytest.approx(np.mean([f["accuracy"] for f in entry["folds"]]))
        assert entry["balanced_accuracy"] == pytest.approx(
            np.mean([f["balanced_accuracy"] for f in entry["folds"]])
        )
    assert report["baseline_metrics"]["persistence"]["log_loss"] is None
    assert "no log loss" in report["baseline_metrics"]["persistence"]["log_loss_note"]
    assert report["data"]["first_date"] == "1999-01-04"
    assert report["data"]["last_date"] == evaluation_prices.index[-1].date().isoformat()
    assert report["data"]["n_rows"] == N_ROWS
    assert report["data"]["n_samples"] == N_ROWS - WARMUP - 1 - (SEQUENCE_LENGTH - 1)
    assert sum(report["class_shares"].values()) == pytest.approx(1.0)
    assert set(report["versions"]) >= {
        "python",
        "sktemporal",
        "keras",
        "backend",
        "tensorflow",
        "scikit-learn",
        "numpy",
        "pandas",
        "talib",
    }
    assert report["parameters"]["sequence_length"] == SEQUENCE_LENGTH
    assert report["parameters"]["classifier"] == "AttentionLSTMClassifier"
    assert [fold["fold"] for fold in report["folds"]] == list(range(1, N_SPLITS + 1))


def test_summary_and_table(evaluation_run):
    summary = evaluation_run.summary()
    assert list(summary.index) == ["model", *BASELINES]
    assert summary.columns.tolist() == [(m, s) for m in METRICS for s in ("mean", "std")]
    table = evaluation_run.format_table()
    assert "mean ± std over 3 folds" in table
    assert table.count("logistic_regression") == N_SPLITS + 1
    assert "n/a" in table


# ---------------------------------------------------------------------------- out-of-sample


def test_predictions_are_the_test_rows_of_every_fold_and_only_those(
    evaluation_prices, evaluation_run
):
    _, positions, labels, splits = expected_folds(evaluation_prices, horizon=1)
    predictions = evaluation_run.predictions
    test_rows = np.concatenate([test for _, test in splits])

    assert predictions.columns.tolist() == [
        "fold",
        "y_true",
        "predicted_class",
        "proba_-1",
        "proba_0",
        "proba_1",
    ]
    assert predictions.index.name == "date"
    assert predictions.index.is_unique and predictions.index.is_monotonic_increasing
    pd.testing.assert_index_equal(
        predictions.index, evaluation_prices.index[positions[test_rows]], check_names=False
    )
    first_training_end = evaluation_run.folds[0].train_dates[1]
    assert (predictions.index > first_training_end).all()
    assert len(predictions) == sum(fold.n_test for fold in evaluation_run.folds)
    expected_fold = np.concatenate(
        [np.full(len(test), k) for k, (_, test) in enumerate(splits, 1)]
    )
    assert_array_equal(predictions["fold"], expected_fold)
    assert_array_equal(predictions["y_true"], labels[test_rows])


def test_predictions_are_the_probabilities_the_folds_were_scored_on(evaluation_run):
    predictions = evaluation_run.predictions
    proba = predictions[["proba_-1", "proba_0", "proba_1"]].to_numpy()

    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(predictions["predicted_class"], np.array([-1, 0, 1])[proba.argmax(1)])
    for fold in evaluation_run.folds:
        rows = predictions[predictions["fold"] == fold.fold]
        assert (rows.index[0], rows.index[-1]) == fold.test_dates
        accuracy = np.mean(rows["y_true"] == rows["predicted_class"])
        assert fold.scores["model"]["accuracy"] == pytest.approx(accuracy, rel=1e-12)


def test_no_look_ahead_later_prices_do_not_change_earlier_predictions(evaluation_prices):
    horizon = 2
    _, positions, _, splits = expected_folds(evaluation_prices, horizon)
    first_unseen = positions[splits[-1][1][0]] + horizon
    perturbed = evaluation_prices.copy()
    perturbed.iloc[first_unseen:, :] *= 1.3

    kwargs = dict(sequence_length=SEQUENCE_LENGTH, horizon=horizon, n_splits=N_SPLITS, refit=False)
    before = walk_forward_evaluate(evaluation_prices, LastRowClassifier(), **kwargs).predictions
    after = walk_forward_evaluate(perturbed, LastRowClassifier(), **kwargs).predictions

    earlier = before["fold"] < N_SPLITS
    pd.testing.assert_frame_equal(before[earlier], after[earlier])


def test_predictions_csv_reads_back_exactly(evaluation_run, tmp_path):
    from sktemporal.market.out_of_sample import read_oos_predictions

    path = tmp_path / "oos.csv"
    path.write_text(evaluation_run.predictions_csv())
    read = read_oos_predictions(path)

    pd.testing.assert_frame_equal(read, evaluation_run.predictions, check_freq=False)
    assert evaluation_run.predictions_csv().startswith(
        "date,fold,y_true,predicted_class,proba_-1,proba_0,proba_1\n"
    )
    summary = evaluation_run.to_dict()["out_of_sample"]
    assert summary["n_samples"] == len(evaluation_run.predictions)
    assert summary["first_date"] == evaluation_run.folds[0].test_dates[0].date().isoformat()


# ---------------------------------------------------------------------------- final model


def test_each_fit_backs_up_into_its_own_checkpoint_folder(tmp_path):
    from sktemporal import AttentionLSTMClassifier
    from sktemporal.market.walk_forward import fresh_clone

    classifier = AttentionLSTMClassifier(checkpoint_dir=str(tmp_path))
    folds = [fresh_clone(classifier, f"fold_{k}").checkpoint_dir for k in (1, 2)]
    assert folds == [str(tmp_path / "fold_1"), str(tmp_path / "fold_2")]
    assert classifier.checkpoint_dir == str(tmp_path)
    assert fresh_clone(AttentionLSTMClassifier(), "final").checkpoint_dir is None


def test_only_the_final_model_averages_its_attention(evaluation_prices, monkeypatch):
    from sktemporal import AttentionLSTMClassifier
    from sktemporal.classifiers._base import BaseDeepClassifier
    from tests.conftest import TINY_LSTM

    averaged = []
    original = BaseDeepClassifier._mean_attention

    def recording(self, X):
        averaged.append(len(X))
        return original(self, X)

    monkeypatch.setattr(BaseDeepClassifier, "_mean_attention", recording)
    classifier = AttentionLSTMClassifier(**{**TINY_LSTM, "epochs": 1})
    run = walk_forward_evaluate(
        evaluation_prices, classifier, sequence_length=SEQUENCE_LENGTH, n_splits=N_SPLITS
    )
    # The folds only predict; the refitted model, which is kept, has its attention_weights_.
    assert len(averaged) == 1
    assert run.model.classifier.attention_weights_ is not None
    assert classifier.store_attention  # the caller's estimator is left as it was


# ---------------------------------------------------------------------------- purged schemes


def test_purged_kfold_predicts_every_sample_once_from_a_fit_that_never_saw_it(evaluation_prices):
    run = walk_forward_evaluate(
        evaluation_prices,
        LastRowClassifier(),
        sequence_length=SEQUENCE_LENGTH,
        n_splits=N_SPLITS,
        cv="purged-kfold",
        refit=False,
    )
    _, positions, labels, _ = expected_folds(evaluation_prices, horizon=1)

    assert run.predictions.index.is_unique and len(run.predictions) == len(positions)
    assert_array_equal(run.predictions["y_true"].to_numpy(), labels)
    assert run.parameters["cv"] == {
        "scheme": "purged-kfold",
        "n_fits": N_SPLITS,
        "embargo_rows": SEQUENCE_LENGTH,
        "purge": "training samples whose label interval overlaps a test label's",
    }
    assert run.path_scores is None and "paths" not in run.to_dict()


def test_cpcv_scores_every_path_on_its_own_predictions(evaluation_prices):
    n_splits, n_test_groups = 4, 2
    run = walk_forward_evaluate(
        evaluation_prices,
        LastRowClassifier(),
        sequence_length=SEQUENCE_LENGTH,
        n_splits=n_splits,
        cv="cpcv",
        n_test_groups=n_test_groups,
        refit=False,
    )
    _, positions, labels, _ = expected_folds(evaluation_prices, horizon=1)
    classes = run.classes
    proba_columns = [f"proba_{c}" for c in classes]

    assert len(run.folds) == 6  # C(4, 2) fits
    assert sorted(run.path_scores) == [1, 2, 3]  # C(3, 1) paths
    for number, path in run.predictions.groupby("path"):
        # Each path predicts every sample once, each block from one of the fits testing it.
        assert len(path) == len(positions) and path.index.is_monotonic_increasing
        assert_array_equal(path["y_true"].to_numpy(), labels)
        proba = path[proba_columns].to_numpy()
        recomputed = fold_scores(labels, classes[proba.argmax(axis=1)], proba, classes)
        assert recomputed == pytest.approx(run.path_scores[number]["model"])
    # The baselines are scored on the same paths.
    assert set(run.path_scores[1]) == {"model", *BASELINES}
    summary = run.path_summary()
    balanced = [run.path_scores[p]["model"]["balanced_accuracy"] for p in run.path_scores]
    assert summary.loc["model", ("balanced_accuracy", "worst")] == min(balanced)
    assert summary.loc["model", ("balanced_accuracy", "mean")] == pytest.approx(np.mean(balanced))
    report = json.loads(json.dumps(run.to_dict(), allow_nan=False))
    assert report["paths"]["summary"]["model"]["log_loss"]["worst"] == pytest.approx(
        max(run.path_scores[p]["model"]["log_loss"] for p in run.path_scores)
    )
    assert report["parameters"]["cv"]["n_paths"] == 3
    assert report["out_of_sample"]["n_paths"] == 3
    assert report["out_of_sample"]["n_samples"] == len(positions)
    assert "over the 3 CPCV paths" in run.format_table()


def test_a_bad_cv_scheme_is_named(evaluation_prices):
    with pytest.raises(ValueError, match="'cv' parameter"):
        walk_forward_evaluate(evaluation_prices, LastRowClassifier(), cv="shuffled-kfold")
    with pytest.raises(ValueError, match="n_test_groups must be smaller than n_splits"):
        walk_forward_evaluate(
            evaluation_prices, LastRowClassifier(), cv="cpcv", n_splits=3, n_test_groups=3
        )
