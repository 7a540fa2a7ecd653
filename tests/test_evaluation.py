"""Tests for the walk-forward evaluation: data alignment, folds, baselines, refit."""

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import TimeSeriesSplit

from sktemporal.market.datasets import load_sp500
from sktemporal.market.direction_model import DirectionModel, pipeline_path
from sktemporal.market.features import TechnicalIndicators
from sktemporal.market.preparation import feature_table, minimum_rows, prepare_dataset
from sktemporal.market.scores import BASELINES, METRICS
from sktemporal.market.walk_forward import walk_forward_evaluate
from tests.conftest import TINY_STEM

WARMUP = TechnicalIndicators.warmup_rows
N_ROWS, SEQUENCE_LENGTH, N_SPLITS, THRESHOLD = 400, 10, 3, 0.005


class LastRowClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on the last row of each window: fast, and equal to the baseline."""

    def fit(self, X, y):
        self.model_ = LogisticRegression(max_iter=5000).fit(X[:, -1, :], y)
        self.classes_ = self.model_.classes_
        self.seen_windows_ = np.array(X)
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X[:, -1, :])

    def predict(self, X):
        return self.model_.predict(X[:, -1, :])


@pytest.fixture(scope="module")
def prices():
    return load_sp500().iloc[:N_ROWS]


@pytest.fixture(scope="module")
def result(prices):
    """A real walk-forward run with a tiny Attention-LSTM, refitted on all labelled rows."""
    from sktemporal import AttentionLSTMClassifier

    tiny = AttentionLSTMClassifier(
        lstm_units=4, attention_units=4, dense_units=4, epochs=1, random_state=0, **TINY_STEM
    )
    return walk_forward_evaluate(
        prices, tiny, sequence_length=SEQUENCE_LENGTH, n_splits=N_SPLITS, threshold=THRESHOLD
    )


def direction(returns, threshold):
    return np.select([returns > threshold, returns < -threshold], [1, -1], 0)


def expected_folds(prices, horizon, sequence_length=SEQUENCE_LENGTH, n_splits=N_SPLITS):
    """Sample positions (in ``prices``), labels and test folds, recomputed from scratch."""
    close = prices["close"].to_numpy()
    positions = np.arange(WARMUP + sequence_length - 1, len(prices) - horizon)
    labels = direction(close[positions + horizon] / close[positions] - 1, THRESHOLD)
    splits = TimeSeriesSplit(n_splits=n_splits, gap=horizon).split(positions)
    return close, positions, labels, list(splits)


# ---------------------------------------------------------------------------- dataset


@pytest.mark.parametrize("horizon", [1, 3])
def test_prepare_dataset_labels_look_ahead_exactly_horizon_rows(prices, horizon):
    X, y = prepare_dataset(prices, horizon=horizon, threshold=THRESHOLD)

    expected_index = prices.index[WARMUP : len(prices) - horizon]
    pd.testing.assert_index_equal(X.index, expected_index)
    pd.testing.assert_index_equal(y.index, expected_index)
    close = prices["close"].to_numpy()
    rows = np.arange(WARMUP, len(prices) - horizon)
    assert_array_equal(y, direction(close[rows + horizon] / close[rows] - 1, THRESHOLD))
    # The last ``horizon`` rows have features but no label, and are left out.
    assert not prices.index[-horizon:].isin(y.index).any()
    all_features = TechnicalIndicators().fit_transform(prices)
    assert_array_equal(X.to_numpy(), all_features[WARMUP : len(prices) - horizon])
    assert np.isfinite(X.to_numpy()).all()


def test_feature_table_names_an_undefined_indicator(prices):
    broken = prices.copy()
    broken.iloc[200:230, broken.columns.get_loc("volume")] = 0.0

    with pytest.raises(ValueError, match="indicator '.*' is undefined on 1999-"):
        feature_table(broken)


def test_too_few_rows_and_bad_settings_are_rejected_before_fitting(prices):
    needed = minimum_rows(SEQUENCE_LENGTH, 1, N_SPLITS)
    with pytest.raises(
        ValueError, match=f"needs at least {needed} rows of prices, got {needed - 1}"
    ):
        walk_forward_evaluate(
            prices.iloc[: needed - 1],
            LastRowClassifier(),
            sequence_length=SEQUENCE_LENGTH,
            n_splits=N_SPLITS,
        )
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2"):
        walk_forward_evaluate(prices, LastRowClassifier(), n_splits=1)
    with pytest.raises(ValueError, match="threshold must be a number >= 0"):
        walk_forward_evaluate(prices, LastRowClassifier(), threshold=-0.1)


@pytest.mark.parametrize("sequence_length, horizon, n_splits", [(1, 1, 2), (10, 3, 5), (30, 1, 5)])
def test_minimum_rows_is_the_fewest_that_split(sequence_length, horizon, n_splits):
    def folds(n_rows):
        n_samples = n_rows - WARMUP - (sequence_length - 1) - horizon
        try:
            splits = list(TimeSeriesSplit(n_splits, gap=horizon).split(np.arange(n_samples)))
        except ValueError:
            return None
        return [(len(train), len(test)) for train, test in splits]

    needed = minimum_rows(sequence_length, horizon, n_splits)
    sizes = folds(needed)
    assert sizes is not None and len(sizes) == n_splits
    assert min(train for train, _ in sizes) >= 2 and min(test for _, test in sizes) >= 1
    fewer = folds(needed - 1)
    assert fewer is None or min(train for train, _ in fewer) < 2


def test_a_training_fold_with_one_class_is_named(prices):
    rising = prices.copy()
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
def test_windows_end_at_the_scaled_row_of_each_sample(prices, horizon):
    # A window classifier that reads only the last row is the logistic baseline: same scores.
    result = walk_forward_evaluate(
        prices,
        LastRowClassifier(),
        sequence_length=SEQUENCE_LENGTH,
        horizon=horizon,
        n_splits=N_SPLITS,
        refit=False,
    )
    scores = result.fold_scores()
    model = scores.xs("model", level="method")
    logistic = scores.xs("logistic_regression", level="method")
    assert_allclose(model.to_numpy(), logistic.to_numpy(), rtol=1e-12)


def test_folds_follow_time_series_split_with_a_gap(prices):
    horizon = 3
    result = walk_forward_evaluate(
        prices,
        LastRowClassifier(),
        sequence_length=SEQUENCE_LENGTH,
        horizon=horizon,
        n_splits=N_SPLITS,
        refit=False,
    )
    _, positions, _, splits = expected_folds(prices, horizon)
    for fold, (train, test) in zip(result.folds, splits, strict=True):
        assert fold.n_train == len(train) and fold.n_test == len(test)
        assert fold.train_dates == (
            prices.index[positions[train[0]]],
            prices.index[positions[train[-1]]],
        )
        assert fold.test_dates == (
            prices.index[positions[test[0]]],
            prices.index[positions[test[-1]]],
        )
        assert positions[test[0]] - positions[train[-1]] == horizon + 1


def test_no_look_ahead_later_prices_do_not_change_earlier_folds(prices):
    # Prices from the last fold's first test row + horizon on only enter the last fold. Were
    # the scaler fitted on all rows, or a window to reach ahead, earlier folds would move.
    horizon = 2
    _, positions, _, splits = expected_folds(prices, horizon)
    first_unseen = positions[splits[-1][1][0]] + horizon
    perturbed = prices.copy()
    rng = np.random.default_rng(0)
    perturbed.iloc[first_unseen:, :] *= rng.uniform(0.5, 2.0, size=(N_ROWS - first_unseen, 1))

    kwargs = dict(sequence_length=SEQUENCE_LENGTH, horizon=horizon, n_splits=N_SPLITS, refit=False)
    before = walk_forward_evaluate(prices, LastRowClassifier(), **kwargs).fold_scores()
    after = walk_forward_evaluate(perturbed, LastRowClassifier(), **kwargs).fold_scores()

    earlier = before.index.get_level_values("fold") < N_SPLITS
    pd.testing.assert_frame_equal(before[earlier], after[earlier])
    assert not before[~earlier].equals(after[~earlier])


def test_baselines_match_an_independent_computation(prices, result):
    close, positions, labels, splits = expected_folds(prices, horizon=1)
    for fold, (train, test) in zip(result.folds, splits, strict=True):
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


def test_model_scores_are_valid(result):
    scores = result.fold_scores()
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
    assert all(fold.n_iter == 1 for fold in result.folds)


def test_report_structure(prices, result):
    report = json.loads(json.dumps(result.to_dict(), allow_nan=False))

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
    assert report["data"]["last_date"] == prices.index[-1].date().isoformat()
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


def test_summary_and_table(result):
    summary = result.summary()
    assert list(summary.index) == ["model", *BASELINES]
    assert summary.columns.tolist() == [(m, s) for m in METRICS for s in ("mean", "std")]
    table = result.format_table()
    assert "mean ± std over 3 folds" in table
    assert table.count("logistic_regression") == N_SPLITS + 1
    assert "n/a" in table


# ---------------------------------------------------------------------------- out-of-sample


def test_predictions_are_the_test_rows_of_every_fold_and_only_those(prices, result):
    _, positions, labels, splits = expected_folds(prices, horizon=1)
    predictions = result.predictions
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
        predictions.index, prices.index[positions[test_rows]], check_names=False
    )
    first_training_end = result.folds[0].train_dates[1]
    assert (predictions.index > first_training_end).all()
    assert len(predictions) == sum(fold.n_test for fold in result.folds)
    expected_fold = np.concatenate(
        [np.full(len(test), k) for k, (_, test) in enumerate(splits, 1)]
    )
    assert_array_equal(predictions["fold"], expected_fold)
    assert_array_equal(predictions["y_true"], labels[test_rows])


def test_predictions_are_the_probabilities_the_folds_were_scored_on(result):
    predictions = result.predictions
    proba = predictions[["proba_-1", "proba_0", "proba_1"]].to_numpy()

    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(predictions["predicted_class"], np.array([-1, 0, 1])[proba.argmax(1)])
    for fold in result.folds:
        rows = predictions[predictions["fold"] == fold.fold]
        assert (rows.index[0], rows.index[-1]) == fold.test_dates
        accuracy = np.mean(rows["y_true"] == rows["predicted_class"])
        assert fold.scores["model"]["accuracy"] == pytest.approx(accuracy, rel=1e-12)


def test_no_look_ahead_later_prices_do_not_change_earlier_predictions(prices):
    horizon = 2
    _, positions, _, splits = expected_folds(prices, horizon)
    first_unseen = positions[splits[-1][1][0]] + horizon
    perturbed = prices.copy()
    perturbed.iloc[first_unseen:, :] *= 1.3

    kwargs = dict(sequence_length=SEQUENCE_LENGTH, horizon=horizon, n_splits=N_SPLITS, refit=False)
    before = walk_forward_evaluate(prices, LastRowClassifier(), **kwargs).predictions
    after = walk_forward_evaluate(perturbed, LastRowClassifier(), **kwargs).predictions

    earlier = before["fold"] < N_SPLITS
    pd.testing.assert_frame_equal(before[earlier], after[earlier])


def test_predictions_csv_reads_back_exactly(result, tmp_path):
    from sktemporal.market.out_of_sample import read_oos_predictions

    path = tmp_path / "oos.csv"
    path.write_text(result.predictions_csv())
    read = read_oos_predictions(path)

    pd.testing.assert_frame_equal(read, result.predictions, check_freq=False)
    assert result.predictions_csv().startswith(
        "date,fold,y_true,predicted_class,proba_-1,proba_0,proba_1\n"
    )
    summary = result.to_dict()["out_of_sample"]
    assert summary["n_samples"] == len(result.predictions)
    assert summary["first_date"] == result.folds[0].test_dates[0].date().isoformat()


# ---------------------------------------------------------------------------- final model


def test_moved_names_still_import_from_evaluation():
    from sktemporal import direction_model, evaluation

    for name in ("DirectionModel", "fit_direction_model", "pipeline_path"):
        assert getattr(evaluation, name) is getattr(direction_model, name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        evaluation.nothing  # noqa: B018


def test_final_model_predicts_every_row_with_a_full_window(prices, result):
    frame = result.model.predict_proba_frame(prices)

    assert frame.columns.tolist() == ["predicted_class", "proba_-1", "proba_0", "proba_1"]
    assert len(frame) == N_ROWS - WARMUP - SEQUENCE_LENGTH + 1
    pd.testing.assert_index_equal(frame.index, prices.index[WARMUP + SEQUENCE_LENGTH - 1 :])
    proba = frame.iloc[:, 1:].to_numpy()
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert_array_equal(frame["predicted_class"], np.array([-1, 0, 1])[proba.argmax(axis=1)])
    assert result.model.trained_on["n_samples"] == N_ROWS - WARMUP - 1 - (SEQUENCE_LENGTH - 1)


def test_final_prediction_uses_no_future_prices(prices, result):
    cut = N_ROWS - 20
    perturbed = prices.copy()
    perturbed.iloc[cut:, :] *= 1.5

    before = result.model.predict_proba_frame(prices)
    after = result.model.predict_proba_frame(perturbed)
    pd.testing.assert_frame_equal(
        before.loc[: prices.index[cut - 1]], after.loc[: prices.index[cut - 1]]
    )


def test_save_and_load_round_trip_without_pickle(prices, result, tmp_path):
    path = tmp_path / "model.keras"
    sidecar = result.model.save(path)

    assert sidecar == pipeline_path(path) == tmp_path / "model.keras.pipeline.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.keras",
        "model.keras.pipeline.json",
    ]
    description = json.loads(sidecar.read_text())
    assert_allclose(description["scaler"]["mean"], result.model.scaler.mean_, rtol=0)
    assert description["sequence_length"] == SEQUENCE_LENGTH
    assert description["classes"] == ["-1", "0", "1"]
    loaded = DirectionModel.load(path)
    pd.testing.assert_frame_equal(
        loaded.predict_proba_frame(prices), result.model.predict_proba_frame(prices)
    )


def test_load_refuses_a_model_without_its_own_pipeline_file(result, tmp_path):
    path = tmp_path / "model.keras"
    result.model.save(path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="not the model file"):
        DirectionModel.load(path)
    pipeline_path(path).unlink()
    with pytest.raises(FileNotFoundError, match="no preprocessing file"):
        DirectionModel.load(path)


def test_each_fit_backs_up_into_its_own_checkpoint_folder(tmp_path):
    from sktemporal import AttentionLSTMClassifier
    from sktemporal.market.walk_forward import fresh_clone

    classifier = AttentionLSTMClassifier(checkpoint_dir=str(tmp_path))
    folds = [fresh_clone(classifier, f"fold_{k}").checkpoint_dir for k in (1, 2)]
    assert folds == [str(tmp_path / "fold_1"), str(tmp_path / "fold_2")]
    assert classifier.checkpoint_dir == str(tmp_path)
    assert fresh_clone(AttentionLSTMClassifier(), "final").checkpoint_dir is None
