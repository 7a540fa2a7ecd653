"""Causal technical indicators computed with TA-Lib, as a scikit-learn transformer."""

import numpy as np
import pandas as pd
import talib
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from sktemporal._documentation import DocumentationLinkMixin

__all__ = ["FEATURE_SETS", "TechnicalIndicators"]

_INPUT_COLUMNS = ("open", "high", "low", "close", "volume")

# Output columns, in output order; ``_indicators`` computes exactly these.
_FEATURE_NAMES = (
    # returns
    "return_1",
    "return_5",
    "return_10",
    "return_20",
    "log_return_1",
    # trend
    "close_to_sma_5",
    "close_to_sma_10",
    "close_to_sma_20",
    "close_to_sma_50",
    "close_to_ema_12",
    "close_to_ema_26",
    "macd_to_close",
    "macd_signal_to_close",
    "macd_hist_to_close",
    "adx_14",
    "plus_di_14",
    "minus_di_14",
    "aroon_osc_14",
    # momentum
    "rsi_14",
    "stoch_k_14",
    "stoch_d_14",
    "willr_14",
    "cci_20",
    "mfi_14",
    "ultosc_7_14_28",
    # volatility
    "atr_14_to_close",
    "bb_percent_b_20",
    "bb_width_20",
    "volatility_20",
    "range_to_close",
    "overnight_gap",
    # volume
    "obv_flow_20",
    "cmf_20",
    "volume_to_sma_20",
)

# The indicators among them that need only the close, in the same order: the feature set of
# price tables without open, high, low and volume (``feature_set="close"``).
_CLOSE_FEATURE_NAMES = (
    "return_1",
    "return_5",
    "return_10",
    "return_20",
    "log_return_1",
    "close_to_sma_5",
    "close_to_sma_10",
    "close_to_sma_20",
    "close_to_sma_50",
    "close_to_ema_12",
    "close_to_ema_26",
    "macd_to_close",
    "macd_signal_to_close",
    "macd_hist_to_close",
    "rsi_14",
    "bb_percent_b_20",
    "bb_width_20",
    "volatility_20",
)

#: Feature sets by name: the columns each needs, and the indicators it computes.
FEATURE_SETS = {
    "ohlcv": (_INPUT_COLUMNS, _FEATURE_NAMES),
    "close": (("close",), _CLOSE_FEATURE_NAMES),
}


def _lag(values, periods):
    """``values`` moved ``periods`` rows later, NaN in the first ``periods`` rows.

    A lag as long as the series or longer leaves every row NaN.
    """
    lagged = np.full_like(values, np.nan)
    if periods < len(values):
        lagged[periods:] = values[: len(values) - periods]
    return lagged


def _ratio(numerator, denominator):
    """``numerator / denominator``, NaN where the denominator is zero."""
    out = np.full_like(numerator, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _close_indicators(close):
    """The indicators that need only the close, by name, from float64 closes in time order.

    Every value at row ``t`` is computed from rows ``<= t`` only: TA-Lib indicators run
    forward through the series and ``_lag`` only looks back.
    """
    features = {}

    return_1 = close / _lag(close, 1) - 1.0
    features["return_1"] = return_1
    for periods in (5, 10, 20):
        features[f"return_{periods}"] = close / _lag(close, periods) - 1.0
    features["log_return_1"] = np.log(close / _lag(close, 1))

    for periods in (5, 10, 20, 50):
        features[f"close_to_sma_{periods}"] = close / talib.SMA(close, periods) - 1.0
    for periods in (12, 26):
        features[f"close_to_ema_{periods}"] = close / talib.EMA(close, periods) - 1.0
    macd, signal, hist = talib.MACD(close, fastperiod=12, slowperiod=26, signalperiod=9)
    features["macd_to_close"] = macd / close
    features["macd_signal_to_close"] = signal / close
    features["macd_hist_to_close"] = hist / close
    features["rsi_14"] = talib.RSI(close, timeperiod=14)
    upper, middle, lower = talib.BBANDS(close, timeperiod=20, nbdevup=2, nbdevdn=2, matype=0)
    features["bb_percent_b_20"] = _ratio(close - lower, upper - lower)
    features["bb_width_20"] = (upper - lower) / middle
    features["volatility_20"] = talib.STDDEV(return_1, timeperiod=20, nbdev=1)
    return features


def _indicators(open_, high, low, close, volume):
    """All 34 indicators, by name, from float64 price and volume arrays in time order.

    Every value at row ``t`` is computed from rows ``<= t`` only, as in
    :func:`_close_indicators`.
    """
    features = _close_indicators(close)
    features["adx_14"] = talib.ADX(high, low, close, timeperiod=14)
    features["plus_di_14"] = talib.PLUS_DI(high, low, close, timeperiod=14)
    features["minus_di_14"] = talib.MINUS_DI(high, low, close, timeperiod=14)
    features["aroon_osc_14"] = talib.AROONOSC(high, low, timeperiod=14)

    slow_k, slow_d = talib.STOCH(
        high,
        low,
        close,
        fastk_period=14,
        slowk_period=3,
        slowk_matype=0,
        slowd_period=3,
        slowd_matype=0,
    )
    features["stoch_k_14"] = slow_k
    features["stoch_d_14"] = slow_d
    features["willr_14"] = talib.WILLR(high, low, close, timeperiod=14)
    features["cci_20"] = talib.CCI(high, low, close, timeperiod=20)
    features["mfi_14"] = talib.MFI(high, low, close, volume, timeperiod=14)
    features["ultosc_7_14_28"] = talib.ULTOSC(
        high, low, close, timeperiod1=7, timeperiod2=14, timeperiod3=28
    )

    features["atr_14_to_close"] = talib.ATR(high, low, close, timeperiod=14) / close
    features["range_to_close"] = (high - low) / close
    features["overnight_gap"] = open_ / _lag(close, 1) - 1.0

    # Net flows over 20 rows as a share of the volume traded in them: in [-1, 1] at any
    # price or volume level, unlike the cumulative OBV and A/D lines themselves.
    volume_20 = talib.SUM(volume, timeperiod=20)
    obv = talib.OBV(close, volume)
    features["obv_flow_20"] = _ratio(obv - _lag(obv, 20), volume_20)
    accumulation = talib.AD(high, low, close, volume)
    features["cmf_20"] = _ratio(accumulation - _lag(accumulation, 20), volume_20)
    features["volume_to_sma_20"] = _ratio(volume, talib.SMA(volume, timeperiod=20)) - 1.0
    return features


def _ohlcv_arrays(X, required=_INPUT_COLUMNS):
    """Check a price DataFrame; return its ``required`` columns as float64 arrays, by name."""
    needs = ", ".join(required)
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"TechnicalIndicators needs a pandas DataFrame with columns {needs}, got "
            f"{type(X).__name__}."
        )
    by_name = {}
    for column in X.columns:
        name = str(column).lower()
        if name in required:
            if name in by_name:
                raise ValueError(
                    f"columns {by_name[name]!r} and {column!r} both read as {name!r}; "
                    "keep only one of them."
                )
            by_name[name] = column
    missing = [name for name in required if name not in by_name]
    if missing:
        hint = (
            "; for closes alone, use feature_set='close'"
            if "close" in by_name and required == _INPUT_COLUMNS
            else ""
        )
        raise ValueError(
            f"missing column(s) {', '.join(map(repr, missing))}; TechnicalIndicators needs "
            f"{needs} (any letter case). Got {list(X.columns)}{hint}."
        )
    if len(X) == 0:
        raise ValueError("the prices have no rows; TechnicalIndicators needs at least one.")
    if isinstance(X.index, pd.DatetimeIndex) and X.index.hasnans:
        row = int(np.argmax(X.index.isna()))
        raise ValueError(
            f"the DatetimeIndex has a missing timestamp (NaT) at row {row}; drop or fill it first."
        )
    if isinstance(X.index, pd.DatetimeIndex) and not X.index.is_monotonic_increasing:
        row = int(np.argmax(X.index[1:] < X.index[:-1])) + 1
        raise ValueError(
            f"the DatetimeIndex is not sorted: {X.index[row]} comes after "
            f"{X.index[row - 1]}; sort the rows first, e.g. X.sort_index()."
        )
    if isinstance(X.index, pd.DatetimeIndex) and X.index.has_duplicates:
        raise ValueError(
            f"the DatetimeIndex repeats {X.index[X.index.duplicated()][0]}; keep one row per "
            "time step."
        )

    arrays = {}
    for name, column in by_name.items():
        series = X[column]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            raise ValueError(f"column {column!r} must be numeric, got dtype {series.dtype}.")
        values = np.ascontiguousarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
        for problem, mask in (("a NaN", np.isnan(values)), ("an infinite", np.isinf(values))):
            if mask.any():
                raise ValueError(
                    f"column {column!r} has {problem} value, first at row "
                    f"{X.index[np.argmax(mask)]}; fill or drop those rows first."
                )
        mask = values < 0 if name == "volume" else values <= 0
        if mask.any():
            expected = "volumes must be >= 0" if name == "volume" else "prices must be > 0"
            raise ValueError(
                f"column {column!r} has {float(values[np.argmax(mask)])} at row "
                f"{X.index[np.argmax(mask)]}; {expected}."
            )
        arrays[name] = values
    return arrays


class TechnicalIndicators(DocumentationLinkMixin, TransformerMixin, BaseEstimator):
    """Compute 34 causal technical indicators from daily OHLCV prices.

    The indicators come from TA-Lib and cover four families:

    - **returns**: simple returns over 1, 5, 10 and 20 rows and the 1-row log return
      (``ROC(n)`` and ``MOM(n) / close`` carry the same information);
    - **trend**: close relative to its 5, 10, 20 and 50-row simple and 12 and 26-row
      exponential moving averages, MACD(12, 26, 9) line, signal and histogram divided by
      the close, ADX, +DI and -DI (14) and the Aroon oscillator (14);
    - **momentum**: RSI (14), stochastic %K (14, 3) and %D (3), Williams %R (14), CCI
      (20), money flow index (14) and the ultimate oscillator (7, 14, 28);
    - **volatility and volume**: ATR (14) divided by the close, Bollinger %B and band
      width (20, 2), the standard deviation of 1-row returns over 20 rows, the high-low
      range divided by the close, the overnight gap ``open / previous close - 1``, OBV and
      accumulation/distribution (Chaikin money flow) flows over 20 rows as a share of the
      volume traded, and volume relative to its 20-row mean.

    With ``feature_set="close"`` only the 18 of them that need nothing but the close are
    computed (the returns, the moving-average and MACD ratios, RSI, Bollinger %B and width
    and the return volatility): the feature set of price tables that have closes alone, such
    as :func:`~sktemporal.market.datasets.load_sp500_stocks`. A close that stays the same for
    20 rows (a stale quote) has Bollinger bands of zero width; there %B is 0.5, the close
    being the middle band, where the OHLCV set leaves it undefined.

    Prices enter only as returns and ratios, never as levels, so the features keep the
    same scale across decades; oscillators keep their usual ranges (RSI in 0-100, ...).
    Scale them (e.g. :class:`~sklearn.preprocessing.StandardScaler`) before a network.

    Every feature is causal: the value at row ``t`` is computed from rows ``<= t`` only,
    so changing later rows never changes it. The transformer learns nothing; ``fit`` only
    checks the input and records its columns.

    Parameters
    ----------
    feature_set : {"ohlcv", "close"}, default="ohlcv"
        ``"ohlcv"``: the 34 indicators, from ``open``, ``high``, ``low``, ``close`` and
        ``volume``; ``"close"``: the 18 that need only ``close``.

    Attributes
    ----------
    warmup_rows : int
        Class attribute, 49: the longest lookback (the 50-row moving average). The output's
        first ``warmup_rows`` rows hold NaN in at least one column; from there on, every
        feature is defined (barring divisions by zero, e.g. a 20-row stretch with zero
        volume, which give NaN). Drop them with ``Xt[warmup_rows:]``. Exponential
        indicators (EMA, MACD, RSI, ADX, ATR) also remember where the series starts for
        some further rows; that depends only on the past, never on the future.

    n_features_in_ : int
        Number of columns of the DataFrame seen in :meth:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns seen in :meth:`fit`, when they are all strings.

    See Also
    --------
    sktemporal.market.labels.DirectionLabeler : Labels to predict from these features.
    sktemporal.market.datasets.load_sp500 : Daily prices in the expected layout.

    Notes
    -----
    ``transform`` returns as many rows as it receives, warm-up rows included, as
    scikit-learn transformers must. Drop the warm-up rows yourself, and align labels
    that look ahead (see the example).

    Examples
    --------
    >>> import numpy as np
    >>> from sktemporal.market.datasets import load_sp500
    >>> from sktemporal.market.features import TechnicalIndicators
    >>> from sktemporal.market.labels import make_direction_labels
    >>> prices = load_sp500()
    >>> indicators = TechnicalIndicators()
    >>> X = indicators.fit_transform(prices)
    >>> X.shape
    (5031, 34)
    >>> indicators.get_feature_names_out()[:3]
    array(['return_1', 'return_5', 'return_10'], dtype=object)
    >>> warmup = indicators.warmup_rows
    >>> bool(np.isnan(X[:warmup]).any(axis=1).all()), bool(np.isfinite(X[warmup:]).all())
    (True, True)

    Drop the warm-up rows, and the last rows, which have no label:

    >>> y = make_direction_labels(prices["close"], horizon=1)
    >>> X_train, y_train = X[warmup : len(y)], y.iloc[warmup:]
    >>> X_train.shape, y_train.shape
    ((4981, 34), (4981,))
    """

    warmup_rows = 49

    _parameter_constraints: dict = {"feature_set": [StrOptions(set(FEATURE_SETS))]}

    def __init__(self, feature_set="ohlcv"):
        self.feature_set = feature_set

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the prices and record their columns; nothing is learned.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_rows, n_columns)
            Prices in time order, with ``open``, ``high``, ``low``, ``close`` and
            ``volume`` columns (any letter case). Other columns are ignored.
        y : None
            Ignored.

        Returns
        -------
        self : TechnicalIndicators
            The fitted transformer.
        """
        _ohlcv_arrays(X, FEATURE_SETS[self.feature_set][0])
        validate_data(self, X, reset=True, skip_check_array=True)
        return self

    def transform(self, X):
        """Compute the indicators at every row.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_rows, n_columns)
            Prices in time order, with the columns seen in :meth:`fit`.

        Returns
        -------
        Xt : ndarray of shape (n_rows, 34) or (n_rows, 18)
            float64 features, one row per input row; the first :attr:`warmup_rows` rows
            hold NaN.
        """
        check_is_fitted(self)
        required, names = FEATURE_SETS[self.feature_set]
        arrays = _ohlcv_arrays(X, required)
        validate_data(self, X, reset=False, skip_check_array=True)
        if self.feature_set == "close":
            features = _close_indicators(arrays["close"])
            # Zero-width bands (20 equal closes): the close is the middle band, %B 0.5.
            stale = np.isnan(features["bb_percent_b_20"]) & (features["bb_width_20"] == 0)
            features["bb_percent_b_20"][stale] = 0.5
        else:
            features = _indicators(
                arrays["open"], arrays["high"], arrays["low"], arrays["close"], arrays["volume"]
            )
        return np.column_stack([features[name] for name in names])

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the columns seen in :meth:`fit`; the output names do not
            depend on them.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The indicator names (34, or 18 with ``feature_set="close"``), in output order.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return np.asarray(FEATURE_SETS[self.feature_set][1], dtype=object)
