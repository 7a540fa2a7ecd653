"""How the future rows are replaced: noise, extreme values, a shuffle or a constant.

Every draw comes from the ``rng`` passed in, column by column in order, so that a seed gives
the same perturbations, and the same report, every time.
"""

import numpy as np
import pandas as pd

__all__ = ["KINDS", "as_array", "copy_rows", "perturb"]

#: Perturbations of the rows from the cutoff on, in the default order.
KINDS = ("noise", "extreme", "shuffle", "constant")

_EXTREME = 1e6


def as_array(X):
    """``X`` as an array, itself when it is one."""
    return X if isinstance(X, np.ndarray) else np.asarray(X)


def copy_rows(X):
    """A deep copy of ``X``, a DataFrame, Series or array."""
    if isinstance(X, pd.DataFrame | pd.Series):
        return X.copy(deep=True)
    return np.array(X, copy=True)


def perturb(X, cutoff, kind, rng):
    """A copy of ``X`` with rows ``>= cutoff`` replaced as ``kind`` says."""
    n_rows = len(X)
    if kind == "shuffle":
        permutation = rng.permutation(n_rows - cutoff)
        if (permutation == np.arange(len(permutation))).all():
            permutation = np.roll(permutation, 1)  # never the identity, from 2 rows on
        order = np.r_[np.arange(cutoff), cutoff + permutation]
        if isinstance(X, pd.DataFrame | pd.Series):
            return X.iloc[order].set_axis(X.index, axis=0)
        return as_array(X)[order].copy()
    if isinstance(X, pd.Series):
        return _perturb_series(X, cutoff, kind, rng)
    if isinstance(X, pd.DataFrame):
        perturbed = X.copy(deep=True)
        for position in range(X.shape[1]):
            column = _perturb_series(X.iloc[:, position], cutoff, kind, rng)
            perturbed.isetitem(position, column.array)  # by position: the index may repeat
        return perturbed
    array = as_array(X)
    flat = array.reshape(n_rows, -1)
    columns = [_perturb_values(flat[:, j], cutoff, kind, rng) for j in range(flat.shape[1])]
    return np.stack(columns, axis=1).reshape(array.shape) if columns else array.copy()


def _perturb_series(series, cutoff, kind, rng):
    dtype = series.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, np.dtype) or not numeric:
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            values = _perturb_values(series.to_numpy(), cutoff, kind, rng)
            return pd.Series(values, index=series.index, name=series.name)
        return _reorder(series, cutoff, kind, rng)
    # Numeric extension dtype (Int64, Float64...): perturb as float, cast back.
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    new = _perturb_floats(values, cutoff, kind, rng, integer=dtype.kind in "iu")
    return pd.Series(pd.array(new, dtype=dtype), index=series.index, name=series.name)


def _reorder(series, cutoff, kind, rng):
    """Non-numeric column: future values shuffled, or one of them repeated."""
    n_future = len(series) - cutoff
    if kind == "constant":
        future = np.full(n_future, cutoff + rng.randint(n_future))
    else:
        future = cutoff + rng.permutation(n_future)
    return series.iloc[np.r_[np.arange(cutoff), future]].set_axis(series.index)


def _perturb_values(values, cutoff, kind, rng):
    """One numpy column, of any dtype, with its future replaced; the dtype is kept."""
    kind_code = values.dtype.kind
    if kind_code == "b":
        new = values.copy()
        n_future = len(values) - cutoff
        new[cutoff:] = (
            np.full(n_future, rng.random() < 0.5)
            if kind == "constant"
            else (rng.random(n_future) < 0.5)
        )
        return new
    if kind_code not in "iuf":
        return _reorder(pd.Series(values), cutoff, kind, rng).to_numpy()
    new = _perturb_floats(values.astype(np.float64), cutoff, kind, rng, integer=kind_code in "iu")
    if kind_code in "iu":
        info = np.iinfo(values.dtype)
        return np.clip(new, info.min, info.max).astype(values.dtype)
    return new.astype(values.dtype)


def _perturb_floats(values, cutoff, kind, rng, *, integer=False):
    """float64 column with rows ``>= cutoff`` replaced; positive columns stay positive."""
    finite = values[np.isfinite(values)]
    scale = float(np.std(finite)) if finite.size > 1 else 0.0
    if not np.isfinite(scale) or scale == 0:
        scale = float(np.mean(np.abs(finite))) if finite.size else 0.0
        if not np.isfinite(scale) or scale == 0:
            scale = 1.0
    positive = finite.size > 0 and bool((finite > 0).all())
    non_negative = finite.size > 0 and bool((finite >= 0).all())
    future = values[cutoff:]
    n_future = len(future)
    if kind == "noise":
        if positive:
            new = future * np.exp(rng.normal(size=n_future))
        elif non_negative:
            new = np.abs(future + rng.normal(scale=scale, size=n_future))
        else:
            new = future + rng.normal(scale=scale, size=n_future)
    elif kind == "extreme":
        big = rng.random(n_future) < 0.5
        if positive:
            new = np.where(big, _EXTREME * scale, scale / _EXTREME)
        elif non_negative:
            new = np.where(big, _EXTREME * scale, 0.0)
        else:
            new = np.where(big, _EXTREME * scale, -_EXTREME * scale)
    else:  # constant
        value = rng.choice(finite) if finite.size else rng.normal()
        new = np.full(n_future, value)
    if integer:
        new = np.rint(new)
        if positive:
            new = np.maximum(new, 1.0)
    result = values.copy()
    result[cutoff:] = new
    return result
