"""check_no_lookahead catches real leaks, step by step, and passes every pipeline we ship."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from sktemporal import (
    ConfidenceThresholdClassifier,
    DirectionLabeler,
    SlidingWindowTransformer,
    TechnicalIndicators,
    make_direction_labels,
)
from sktemporal.lookahead import (
    KINDS,
    LookaheadDetail,
    LookaheadError,
    LookaheadReport,
    check_no_lookahead,
)
from sktemporal.market.datasets import load_sp500
from tests.conftest import TINY_STEM

N_ROWS = 60
CUTOFFS = [30, 45, 59]


@pytest.fixture
def table():
    """A 60-row, 2-column random walk."""
    return np.random.default_rng(0).normal(size=(N_ROWS, 2)).cumsum(axis=0)


@pytest.fixture
def frame(table):
    index = pd.date_range("2020-01-01", periods=N_ROWS, freq="D", name="date")
    return pd.DataFrame(table, columns=["a", "b"], index=index)


@pytest.fixture
def labels():
    return (np.random.default_rng(1).normal(size=N_ROWS) > 0).astype(int)


@pytest.fixture(scope="module")
def prices():
    """160 rows of S&P 500 prices and one direction label per row."""
    sp500 = load_sp500()
    return sp500.iloc[:160], make_direction_labels(sp500["close"].iloc[:161], horizon=1)


def _function(func):
    return FunctionTransformer(func, validate=False)


def _flatten_windows(windows):
    return windows.reshape(len(windows), -1)


def _check(estimator, X, y=None, **kwargs):
    kwargs.setdefault("cutoffs", CUTOFFS)
    kwargs.setdefault("random_state", 0)
    return check_no_lookahead(estimator, X, y, **kwargs)


# ---------------------------------------------------------------------------- leaks caught


def test_catches_a_backwards_roll(table, labels):
    leaky = Pipeline([
        ("scale", StandardScaler()),
        ("peek", _function(lambda X: np.roll(X, -1, axis=0))),
        ("clf", LogisticRegression()),
    ])
    report = _check(leaky, table, labels)
    assert report.leaks
    assert report.first_leaking_step == "peek"
    assert report.first_row == CUTOFFS[0] - 1
    # The scaler before the leak is clean; everything from the leak on moves.
    assert report.leaking_outputs()[0] == "peek.transform"
    assert "scale.transform" not in report.leaking_outputs()
    assert "clf.predict_proba" in report.leaking_outputs()
    assert report.max_abs_diff > 0


def test_catches_a_pandas_shift_minus_one(frame):
    report = _check(_function(lambda df: df.shift(-1)), frame)
    assert report.leaks
    assert report.first_leaking_step == "FunctionTransformer"
    assert report.first_row == CUTOFFS[0] - 1
    # The last row is NaN both before and after: NaN equals NaN, so the leak is what moved.
    at_last_cutoff = [d for d in report.details if d.cutoff == CUTOFFS[-1]]
    assert all(d.first_row == CUTOFFS[-1] - 1 for d in at_last_cutoff if d.leaks)


def test_catches_a_centred_rolling_mean(frame):
    centred = _function(lambda df: df.rolling(5, center=True, min_periods=1).mean())
    report = _check(centred, frame)
    assert report.leaks
    assert report.first_row == CUTOFFS[0] - 2  # the centre of a 5-row window sees 2 rows ahead
    trailing = _function(lambda df: df.rolling(5, min_periods=1).mean())
    assert not _check(trailing, frame).leaks


def test_catches_a_backfill_after_masking(frame):
    frame = frame.abs() + 1.0
    frame.iloc[CUTOFFS[0] - 1, 0] = -1.0  # a negative "outlier" just before the first cutoff
    backfill = _function(lambda df: df.mask(df < 0).bfill())
    report = _check(backfill, frame)
    assert report.leaks
    assert report.first_row == CUTOFFS[0] - 1
    forward_fill = _function(lambda df: df.mask(df < 0).ffill())
    assert not _check(forward_fill, frame).leaks


def test_catches_a_future_return_smuggled_in_as_a_feature(prices):
    ohlcv, y = prices

    def with_future_return(df):
        future_return = df["close"].shift(-1) / df["close"] - 1.0  # the label, in disguise
        return df.assign(future_return=future_return.fillna(0.0))

    leaky = Pipeline([
        ("features", _function(with_future_return)),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression()),
    ])
    report = _check(leaky, ohlcv, y, cutoffs=[100, 130, 159])
    assert report.leaks
    assert report.first_leaking_step == "features"
    assert report.first_row == 99


def test_catches_global_standardisation_inside_transform(table, labels):
    standardise = _function(lambda X: (X - X.mean(axis=0)) / X.std(axis=0))
    report = _check(make_pipeline(standardise, LogisticRegression()), table, labels)
    assert report.leaks
    assert report.first_leaking_step == "functiontransformer"
    assert report.first_row == 0  # the whole past moves with the future's mean
    # The same scaling fitted in fit, on the past only, is causal.
    assert not _check(make_pipeline(StandardScaler(), LogisticRegression()), table, labels).leaks


class _PeekingClassifier(ClassifierMixin, BaseEstimator):
    """A final step that averages each row's probabilities with the next row's."""

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        proba = self.model_.predict_proba(X)
        return (proba + np.roll(proba, -1, axis=0)) / 2

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def test_catches_a_leak_in_the_final_step(table, labels):
    report = _check(make_pipeline(StandardScaler(), _PeekingClassifier()), table, labels)
    assert report.leaks
    assert report.first_leaking_step == "_peekingclassifier"
    assert report.leaking_outputs() == [
        "_peekingclassifier.predict_proba", "_peekingclassifier.predict"
    ]


def test_catches_a_leak_inside_a_nested_pipeline(table, labels):
    inner = Pipeline([("scale", StandardScaler()), ("peek", _function(lambda X: X[::-1]))])
    report = _check(Pipeline([("prep", inner), ("clf", LogisticRegression())]), table, labels)
    assert report.first_leaking_step == "prep__peek"
    assert report.first_row == 0


def test_catches_a_leak_behind_a_meta_estimator(table, labels):
    wrapped = ConfidenceThresholdClassifier(
        make_pipeline(_function(lambda X: np.roll(X, -1, axis=0)), LogisticRegression()),
        threshold=0.5,
    )
    report = _check(wrapped, table, labels)
    assert report.leaks
    assert report.first_leaking_step == "ConfidenceThresholdClassifier"


# ---------------------------------------------------------------------------- labels


def _labels_as_feature(horizon, lag):
    """make_direction_labels of the close, moved ``lag`` rows later, as a feature column."""

    def feature(X):
        close = np.asarray(X)[:, 0]
        labels = np.full(len(close), np.nan)
        labels[: len(close) - horizon] = make_direction_labels(close, horizon, threshold=0.0)
        lagged = np.full(len(close), np.nan)
        lagged[lag:] = labels[: len(close) - lag]
        return lagged[:, np.newaxis]

    return _function(feature)


def _close(n_rows=N_ROWS):
    return 100 * np.exp(np.random.default_rng(2).normal(0, 0.01, size=(n_rows, 1)).cumsum(axis=0))


def test_direction_labels_used_as_a_feature_are_flagged():
    # The labels look ahead by design: as a feature, they leak, as the checker says.
    report = _check(_labels_as_feature(horizon=1, lag=0), _close())
    assert report.leaks
    assert report.first_row == CUTOFFS[0] - 1


@pytest.mark.parametrize("horizon", [1, 3])
def test_direction_labels_lagged_by_their_horizon_are_causal(horizon):
    # The feature side of a label: at row t, the label of row t - horizon is known.
    assert not _check(_labels_as_feature(horizon, lag=horizon), _close()).leaks
    if horizon > 1:
        short = _check(_labels_as_feature(horizon, lag=horizon - 1), _close())
        assert short.leaks and short.first_row == CUTOFFS[0] - 1


def test_a_labeler_inside_the_pipeline_cannot_be_aligned(prices):
    ohlcv, _ = prices
    with pytest.raises(ValueError, match=r"DirectionLabeler.transform returns 159 rows for 160"):
        check_no_lookahead(DirectionLabeler(), ohlcv, random_state=0)


# ---------------------------------------------------------------------------- what we ship


@pytest.mark.parametrize("padding", ["edge", "constant"])
def test_windows_are_causal(table, padding):
    windows = SlidingWindowTransformer(7, padding=padding, fill_value=-1.0)
    report = _check(windows, table, n_trials=3)
    assert not report.leaks, str(report)
    assert report.max_abs_diff == 0.0


def test_indicators_are_causal(prices):
    ohlcv, _ = prices
    report = check_no_lookahead(TechnicalIndicators(), ohlcv, n_trials=3, random_state=0)
    assert not report.leaks, str(report)
    assert report.cutoffs == (80, 120, 159)


def test_the_feature_chain_is_causal_under_every_kind(prices):
    # The shipped feature steps, ending in a fast linear model on the flattened windows.
    ohlcv, y = prices
    chain = Pipeline([
        ("features", TechnicalIndicators()),
        ("fill", _function(np.nan_to_num)),
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer(5)),
        ("flatten", _function(_flatten_windows)),
        ("clf", LogisticRegression()),
    ])
    report = check_no_lookahead(chain, ohlcv, y, n_trials=3, random_state=0)
    assert not report.leaks, str(report)
    assert len(report.outputs) == 8


def _tiny(name):
    from sktemporal import AttentionLSTMClassifier, TransformerClassifier

    if name == "lstm":
        return AttentionLSTMClassifier(
            lstm_units=2, attention_units=2, dense_units=2, epochs=1, random_state=0, **TINY_STEM
        )
    return TransformerClassifier(
        d_model=4, num_heads=1, num_layers=1, ff_dim=2, dense_units=2, epochs=1, random_state=0,
        **TINY_STEM,
    )


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_scaled_windowed_classifiers_are_causal(table, labels, name):
    pipeline = Pipeline([
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer(5)),
        ("clf", _tiny(name)),
    ])
    report = _check(pipeline, table, labels, cutoffs=[40, 59], n_trials=1)
    assert not report.leaks, str(report)
    assert report.outputs == (
        "scale.transform", "window.transform", "clf.predict_proba", "clf.predict"
    )


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_classifiers_trained_with_augmentation_are_causal(table, labels, name):
    pipeline = Pipeline([
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer(5)),
        ("clf", _tiny(name).set_params(augmentation=True)),
    ])
    report = _check(pipeline, table, labels, cutoffs=[40, 59], n_trials=1)
    assert not report.leaks, str(report)


def test_indicator_pipeline_with_a_transformer_classifier_is_causal(prices):
    ohlcv, y = prices
    pipeline = Pipeline([
        ("features", TechnicalIndicators()),
        ("fill", _function(np.nan_to_num)),
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer(5)),
        ("clf", _tiny("transformer")),
    ])
    report = check_no_lookahead(pipeline, ohlcv, y, cutoffs=[100, 159], n_trials=1, random_state=0)
    assert not report.leaks, str(report)


def test_confidence_gated_windowed_lstm_is_causal(prices):
    ohlcv, y = prices
    windowed = Pipeline([
        ("features", TechnicalIndicators()),
        ("fill", _function(np.nan_to_num)),
        ("scale", StandardScaler()),
        ("window", SlidingWindowTransformer(5)),
        ("clf", _tiny("lstm")),
    ])
    gated = ConfidenceThresholdClassifier(windowed, threshold=0.5, abstain_label=0)
    report = check_no_lookahead(gated, ohlcv, y, cutoffs=[100, 159], n_trials=1, random_state=0)
    assert not report.leaks, str(report)
    assert report.outputs == (
        "ConfidenceThresholdClassifier.predict_proba", "ConfidenceThresholdClassifier.predict"
    )


# ---------------------------------------------------------------------------- the report


def test_report_details_cover_every_output_cutoff_and_kind(table, labels):
    report = _check(make_pipeline(StandardScaler(), LogisticRegression()), table, labels,
                    n_trials=2)
    assert isinstance(report, LookaheadReport)
    assert report.kinds == KINDS and report.n_trials == 2 and report.cutoffs == tuple(CUTOFFS)
    assert len(report.details) == len(report.outputs) * len(CUTOFFS) * len(KINDS)
    assert all(isinstance(d, LookaheadDetail) and d.n_trials == 2 for d in report.details)
    assert report.first_leaking_step is None and report.first_row is None
    frame = report.to_frame()
    assert len(frame) == len(report.details) and not frame["leaks"].any()
    assert str(report).startswith("No look-ahead found")
    assert "standardscaler.transform" in str(report)


def test_report_text_names_the_leak(table):
    report = _check(_function(lambda X: np.roll(X, -1, axis=0)), table)
    text = str(report)
    assert text.startswith("Look-ahead found: step 'FunctionTransformer'")
    assert "earliest moved row: 29 (cutoff 30" in text
    assert "FunctionTransformer.transform:" in text


def test_raise_on_leak(table):
    with pytest.raises(LookaheadError, match="Look-ahead found") as caught:
        _check(_function(lambda X: np.roll(X, -1, axis=0)), table, raise_on_leak=True)
    assert isinstance(caught.value, ValueError)
    assert caught.value.report.leaks
    # No leak, no error.
    assert not _check(StandardScaler(), table, raise_on_leak=True).leaks


def test_same_seed_same_report(table):
    leaky = _function(lambda df: df.rolling(3, center=True).mean())
    first = check_no_lookahead(leaky, pd.DataFrame(table), random_state=3)
    second = check_no_lookahead(leaky, pd.DataFrame(table), random_state=3)
    assert first.details == second.details


def test_atol_tolerates_small_changes(table):
    # Leaks 1e-12 of the next row (even of an extreme one): caught at atol=0, ignored above.
    nudge = _function(lambda X: X + 1e-12 * np.roll(X, -1, axis=0))
    assert _check(nudge, table).leaks
    assert not _check(nudge, table, atol=1e-3).leaks


def test_fit_true_clones_and_fits_on_the_past_only(table, labels):
    class Recorder(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            self.n_rows_seen_ = len(X)
            return self

        def transform(self, X):
            return X

    recorder = Recorder()
    report = _check(recorder, table)
    assert not report.leaks
    assert not hasattr(recorder, "n_rows_seen_")  # the estimator passed in is untouched

    fitted = make_pipeline(StandardScaler(), LogisticRegression()).fit(table, labels)
    coef = fitted[-1].coef_.copy()
    assert not _check(fitted, table, fit=False).leaks
    np.testing.assert_array_equal(fitted[-1].coef_, coef)


def test_fit_false_needs_a_fitted_estimator(table):
    with pytest.raises(NotFittedError):
        check_no_lookahead(StandardScaler(), table, fit=False)


@pytest.mark.parametrize(
    "X",
    [
        np.arange(60, dtype=np.int64).reshape(30, 2),
        np.random.default_rng(0).normal(size=(30, 4, 2)),
        pd.DataFrame({
            "price": np.linspace(1.0, 2.0, 30), "count": np.arange(1, 31),
            "flag": np.arange(30) % 2 == 0, "name": list("abcdefghij") * 3,
            "nullable": pd.array(np.arange(30), dtype="Int64"),
        }),
        pd.Series(np.linspace(-1.0, 1.0, 30)),
    ],
    ids=["int-array", "3d-array", "mixed-frame", "series"],
)
def test_perturbations_keep_dtypes_and_leave_the_past_alone(X):
    seen = []

    def record(X):
        seen.append(X)
        return np.zeros((len(X), 1))

    check_no_lookahead(_function(record), X, n_trials=1, random_state=0)
    original, perturbed = seen[0], seen[2:]
    assert len(perturbed) == 3 * len(KINDS)
    for other in perturbed:
        assert type(other) is type(original)
        if isinstance(X, pd.DataFrame):
            assert (other.dtypes == original.dtypes).all()
            pd.testing.assert_frame_equal(other.iloc[:15], original.iloc[:15])
            assert other.index.equals(original.index)
        elif isinstance(X, pd.Series):
            pd.testing.assert_series_equal(other.iloc[:15], original.iloc[:15])
        else:
            assert other.dtype == original.dtype and other.shape == original.shape
            np.testing.assert_array_equal(other[:15], original[:15])
    # Every perturbation changed the future (cutoff 15 leaves 15 rows to change).
    changed = [
        not np.array_equal(np.asarray(other.iloc[15:] if hasattr(other, "iloc") else other[15:],
                                      dtype=object),
                           np.asarray(original.iloc[15:] if hasattr(original, "iloc")
                                      else original[15:], dtype=object))
        for other in perturbed[: len(KINDS)]
    ]
    assert all(changed)


def test_a_repeated_index_is_perturbed_by_position(table):
    frame = pd.DataFrame(table, index=np.repeat(np.arange(N_ROWS // 2), 2))
    assert _check(_function(lambda df: df.shift(-1)), frame).first_row == CUTOFFS[0] - 1
    assert not _check(_function(lambda df: df.shift(1)), frame).leaks


def test_positive_columns_stay_positive(prices):
    ohlcv, _ = prices
    seen = []

    def record(X):
        seen.append(X)
        return np.zeros((len(X), 1))

    check_no_lookahead(_function(record), ohlcv, n_trials=2, random_state=0)
    assert all((frame.to_numpy() > 0).all() for frame in seen)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cutoffs": [0]}, r"cutoff 0 is out of range.*between 1 and 59"),
        ({"cutoffs": [60]}, r"cutoff 60 is out of range"),
        ({"cutoffs": [10.5]}, r"cutoffs must be integers"),
        ({"cutoffs": []}, r"cutoffs is empty"),
        ({"kinds": ["noise", "gaussian"]}, r"unknown perturbation kind\(s\) \['gaussian'\]"),
        ({"kinds": []}, r"kinds is empty"),
        ({"n_trials": 0}, r"'n_trials' parameter of check_no_lookahead must be an int in"),
        ({"atol": -1.0}, r"'atol' parameter of check_no_lookahead must be a float in"),
        ({"atol": float("nan")}, r"'atol' parameter .* must be a float in the range \[0.0, inf\)"),
    ],
)
def test_bad_parameters_are_named(table, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_no_lookahead(StandardScaler(), table, **kwargs)


def test_too_few_rows(table):
    with pytest.raises(ValueError, match=r"X has 1 row\(s\).*at least 2"):
        check_no_lookahead(StandardScaler(), table[:1])
    with pytest.raises(ValueError, match="scalar"):
        check_no_lookahead(StandardScaler(), 3.0)


def test_labels_must_match_the_rows(table, labels):
    with pytest.raises(ValueError, match="y has 59 rows but X has 60"):
        check_no_lookahead(LogisticRegression(), table, labels[:-1])


def test_a_failing_fit_says_where(table):
    with pytest.raises(ValueError) as caught:
        check_no_lookahead(LogisticRegression(), table, np.zeros(N_ROWS), cutoffs=[5])
    assert any("before the first cutoff" in note for note in caught.value.__notes__)


def test_sparse_input_is_refused(table):
    with pytest.raises(TypeError, match="dense X"):
        check_no_lookahead(StandardScaler(with_mean=False), sp.csr_matrix(table))


def test_an_estimator_without_outputs_is_refused(table):
    class Silent(BaseEstimator):
        def fit(self, X, y=None):
            return self

    with pytest.raises(TypeError, match="no output to check"):
        check_no_lookahead(Silent(), table)


def test_a_step_that_drops_rows_is_reported(table, labels):
    drop_warmup = _function(lambda X: X[5:])
    with pytest.raises(ValueError, match=r"functiontransformer.transform returns 55 rows for 60"):
        check_no_lookahead(make_pipeline(drop_warmup, StandardScaler()), table)


def test_randomness_is_not_mistaken_for_lookahead(table):
    rng = np.random.default_rng()
    jitter = _function(lambda X: X + rng.normal(size=X.shape))
    with pytest.raises(ValueError, match="different outputs in two runs on the same X"):
        check_no_lookahead(jitter, table)


def test_a_step_failing_on_x_itself_raises_its_own_error(table):
    def refuse(X):
        raise KeyError("no such column")

    with pytest.raises(KeyError, match="no such column") as caught:
        check_no_lookahead(_function(refuse), table)
    assert "FunctionTransformer.transform on X itself" in caught.value.__notes__[0]


def test_a_step_failing_on_the_perturbed_rows_is_named(table):
    def refuse_big(X):
        if np.abs(X).max() > 1e5:
            raise ValueError("value too large")
        return X

    with pytest.raises(ValueError, match=r"FunctionTransformer.transform failed.*'extreme'"):
        check_no_lookahead(_function(refuse_big), table)
    # Leaving that kind out works.
    assert not check_no_lookahead(
        _function(refuse_big), table, kinds=("noise", "shuffle", "constant")
    ).leaks


# ---------------------------------------------------------------------------- panels, by date

PANEL_DATES = pd.bdate_range("2024-01-01", periods=24, name="date")


def _panel(order):
    """Three assets on one business-day calendar, BBB listed 3 days and CCC 6 days later.

    ``order`` is ``"grouped"`` (entity by entity, as ``sort_index()`` gives) or
    ``"interleaved"`` (date by date, then asset).
    """
    rng = np.random.default_rng(4)
    parts = {
        asset: pd.DataFrame(
            rng.normal(size=(24 - start, 2)).cumsum(axis=0) + 10.0 * (k + 1),
            index=PANEL_DATES[start:],
            columns=["x", "z"],
        )
        for k, (asset, start) in enumerate([("AAA", 0), ("BBB", 3), ("CCC", 6)])
    }
    panel = pd.concat(parts, names=["asset", "date"])
    if order == "interleaved":
        panel = panel.sort_index(level=["date", "asset"])
    y = pd.Series((rng.normal(size=len(panel)) > 0).astype(int), index=panel.index)
    return panel, y


@pytest.fixture(params=["grouped", "interleaved"])
def panel(request):
    return _panel(request.param)


class _FlatLogistic(ClassifierMixin, BaseEstimator):
    """A stand-in for the Keras classifiers: logistic regression on the flattened windows."""

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(_flatten_windows(X), y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(_flatten_windows(X))

    def predict(self, X):
        return self.model_.predict(_flatten_windows(X))


def _panel_pipeline(*steps):
    """Scale (pandas output, so the panel's index reaches the windows), window, classify."""
    return Pipeline([
        ("scale", StandardScaler()),
        *steps,
        ("window", SlidingWindowTransformer(4, short_entities="pad")),
        ("clf", _FlatLogistic()),
    ]).set_output(transform="pandas")


def _per_asset(func):
    return _function(lambda df: df.groupby(level="asset", group_keys=False).apply(func))


def test_a_windowed_panel_pipeline_is_causal(panel):
    X, y = panel
    report = check_no_lookahead(_panel_pipeline(), X, y, random_state=0)
    assert not report.leaks, str(report)
    assert report.panel
    # Cut by date: three dates of the calendar, the last but one perturbing only the last.
    assert report.cutoffs == (PANEL_DATES[11], PANEL_DATES[17], PANEL_DATES[22])
    assert report.outputs == (
        "scale.transform", "window.transform", "clf.predict_proba", "clf.predict"
    )
    assert str(report).startswith("No look-ahead found: no output of any entity dated on or")
    assert "cutoff dates [2024-01-16, 2024-01-24, 2024-01-31]" in str(report)


def test_catches_each_entitys_next_row(panel):
    X, y = panel
    peek = _function(lambda df: df.groupby(level="asset").shift(-1).fillna(0.0))
    report = check_no_lookahead(_panel_pipeline(("peek", peek)), X, y, random_state=0)
    assert report.leaks
    assert report.first_leaking_step == "peek"
    assert report.leaking_outputs()[0] == "peek.transform"
    assert "scale.transform" not in report.leaking_outputs()
    # Every asset's row on the cutoff date reads the next date, which was perturbed; the
    # earliest is the first of them in X.
    first_cutoff = report.cutoffs[0]
    assert report.first_date == first_cutoff
    assert report.first_entity == "AAA"
    assert X.index[report.first_row] == ("AAA", first_cutoff)
    text = str(report)
    assert text.startswith("Look-ahead found: step 'peek'")
    assert f"earliest moved row: {report.first_row}, entity 'AAA' on 2024-01-16" in text
    assert "(cutoff date 2024-01-16" in text


def test_catches_a_centred_rolling_mean_per_entity(panel):
    X, _ = panel
    centred = _per_asset(lambda df: df.rolling(5, center=True, min_periods=1).mean())
    cut = PANEL_DATES[11]
    report = check_no_lookahead(centred, X, cutoffs=cut, random_state=0)
    assert report.leaks
    # The centre of a 5-row window sees 2 rows ahead: the row 1 date before the cutoff moves.
    assert report.first_date == PANEL_DATES[10]
    trailing = _per_asset(lambda df: df.rolling(5, min_periods=1).mean())
    assert not check_no_lookahead(trailing, X, random_state=0).leaks


def test_steps_that_mix_entities_by_date(panel):
    X, _ = panel

    def demean_by_date(df):
        return df - df.groupby(level="date").transform("mean")

    def next_dates_mean(df):
        means = df.groupby(level="date").mean().shift(-1).fillna(0.0)
        return means.reindex(df.index.get_level_values("date")).set_axis(df.index)

    # Each date's cross-section, all assets at once: causal, although in the grouped order
    # the other assets' rows of the same date come after the row.
    assert not check_no_lookahead(_function(demean_by_date), X, random_state=0).leaks
    report = check_no_lookahead(_function(next_dates_mean), X, random_state=0)
    assert report.leaks
    assert report.first_date == report.cutoffs[0]
    assert report.first_entity == "AAA"


def test_both_row_orders_agree():
    peek = _per_asset(lambda df: df.rolling(3, center=True, min_periods=1).mean())
    reports = [
        check_no_lookahead(peek, _panel(order)[0], cutoffs=PANEL_DATES[8], random_state=0)
        for order in ("grouped", "interleaved")
    ]
    assert [(r.first_entity, r.first_date) for r in reports] == [("AAA", PANEL_DATES[8])] * 2
    # Row positions differ, the rows they name do not.
    assert reports[0].first_row != reports[1].first_row


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("order", ["grouped", "interleaved"])
def test_a_panel_is_perturbed_after_the_date_only(order, kind):
    from sktemporal.lookahead._panel import PanelCalendar

    X, _ = _panel(order)
    cut = PanelCalendar(X.index).cut(PANEL_DATES[9])
    perturbed = cut.perturb(X, kind, np.random.RandomState(0))
    assert perturbed.index.equals(X.index)
    past = X.index.get_level_values("date") <= PANEL_DATES[9]
    pd.testing.assert_frame_equal(perturbed[past], X[past])
    assert (perturbed[~past] != X[~past]).any(axis=None)


def test_a_panel_is_fitted_on_every_entitys_rows_up_to_the_first_cutoff(panel):
    X, _ = panel
    seen = []

    class Recorder(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            seen.append(X.index)
            return self

        def transform(self, X):
            return X

    check_no_lookahead(Recorder(), X, cutoffs=["2024-01-10", "2024-01-20"], random_state=0)
    (index,) = seen
    dates = X.index.get_level_values("date")
    assert index.equals(X.index[dates <= "2024-01-10"])
    assert set(index.get_level_values("asset")) == {"AAA", "BBB", "CCC"}


def test_panel_report_table_names_entity_and_date(panel):
    X, _ = panel
    peek = _function(lambda df: df.groupby(level="asset").shift(-1))
    frame = check_no_lookahead(peek, X, cutoffs=PANEL_DATES[5], random_state=0).to_frame()
    assert list(frame.columns) == [
        "step", "output", "cutoff", "kind", "n_trials", "n_moved", "first_row",
        "first_entity", "first_date", "max_abs_diff", "leaks",
    ]
    assert (frame["cutoff"] == PANEL_DATES[5]).all()
    assert (frame["first_date"] == PANEL_DATES[5]).all() and frame["leaks"].all()


def test_single_series_report_table_is_unchanged(table):
    frame = _check(StandardScaler(), table).to_frame()
    assert list(frame.columns) == [
        "step", "output", "cutoff", "kind", "n_trials", "n_moved", "first_row",
        "max_abs_diff", "leaks",
    ]


@pytest.mark.parametrize(
    ("cutoffs", "message"),
    [
        (5, r"cutoffs of a panel are dates of its time level, not row positions"),
        ("2023-12-29", r"cutoff 2023-12-29 is out of range.*from 2024-01-01 to 2024-02-01"),
        ("2024-02-01", r"cutoff 2024-02-01 is out of range"),
        ([], r"cutoffs is empty"),
        ("not a date", r"cutoff 'not a date' cannot be compared with the panel's dates"),
    ],
)
def test_bad_panel_cutoffs_are_named(panel, cutoffs, message):
    with pytest.raises(ValueError, match=message):
        check_no_lookahead(StandardScaler(), panel[0], cutoffs=cutoffs)


def test_panel_cutoffs_need_not_be_trading_days(panel):
    X, _ = panel
    report = check_no_lookahead(StandardScaler(), X, cutoffs="2024-01-13", random_state=0)
    assert report.cutoffs == (pd.Timestamp("2024-01-13"),)  # a Saturday: Friday is the past
    assert not report.leaks


def test_a_panel_needs_two_dates():
    X = _panel("grouped")[0].xs(PANEL_DATES[7], level="date", drop_level=False)
    with pytest.raises(ValueError, match=r"The panel has 1 date\(s\)"):
        check_no_lookahead(StandardScaler(), X)


def test_a_failing_panel_fit_says_where(panel):
    X, _ = panel
    with pytest.raises(ValueError) as caught:
        check_no_lookahead(LogisticRegression(), X, np.zeros(len(X)), cutoffs=PANEL_DATES[3])
    notes = caught.value.__notes__
    assert any("dated on or before the first cutoff, 2024-01-04" in note for note in notes)


def test_an_integer_time_level_is_cut_by_its_values():
    index = pd.MultiIndex.from_product([["a", "b"], range(10, 20)], names=["unit", "step"])
    X = pd.DataFrame({"v": np.arange(20.0)}, index=index)
    peek = _function(lambda df: df.groupby(level="unit").shift(-1))
    report = check_no_lookahead(peek, X, random_state=0)
    assert report.cutoffs == (14, 16, 18)  # values of the time level, not positions
    assert (report.first_entity, report.first_date, report.first_row) == ("a", 14, 4)
    assert not check_no_lookahead(StandardScaler(), X, cutoffs=[11, 15], random_state=0).leaks
