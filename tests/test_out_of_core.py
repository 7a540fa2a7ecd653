"""Windows streamed from Parquet files equal the in-memory windows, chunk boundaries included."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from sktemporal import SlidingWindowTransformer
from sktemporal.out_of_core import (
    WindowStream,
    iter_predict_proba,
    partial_fit_table,
    partial_fit_windows,
)
from tests.conftest import TINY_STEM

pytest.importorskip("pyarrow")

FEATURES = ["open", "close", "volume"]
# Uneven files; the second is shorter than a window's past, so its rows' past spans two files.
FILE_ROWS = (23, 4, 17, 36)


def _table():
    rng = np.random.default_rng(0)
    n = sum(FILE_ROWS)
    table = pd.DataFrame(
        rng.normal(size=(n, 3)) * [1.0, 2.0, 50.0] + [100.0, 100.0, 1000.0],
        columns=FEATURES,
        index=pd.date_range("2024-01-01", periods=n, freq="D", name="time"),
    )
    table["direction"] = np.where(table["close"].diff().fillna(0) > 0, 1, -1)
    return table


def _write(table, directory, sizes=FILE_ROWS):
    paths, start = [], 0
    for i, size in enumerate(sizes):
        path = directory / f"part-{i:05d}.parquet"
        table.iloc[start : start + size].to_parquet(path)
        paths.append(path)
        start += size
    return paths


@pytest.fixture
def table():
    return _table()


@pytest.fixture
def paths(table, tmp_path):
    return _write(table, tmp_path)


def _streamed(stream):
    chunks = list(stream)
    return (
        np.concatenate([c.windows for c in chunks]),
        np.concatenate([c.rows for c in chunks]),
        np.concatenate([c.y for c in chunks]) if chunks[0].y is not None else None,
        chunks,
    )


@pytest.mark.parametrize("sequence_length", [1, 6, 30])
@pytest.mark.parametrize("padding", ["edge", "constant"])
def test_streamed_windows_equal_in_memory_windows(table, paths, sequence_length, padding):
    stream = WindowStream(
        paths,
        sequence_length,
        columns=FEATURES,
        label="direction",
        batch_rows=7,
        padding=padding,
        fill_value=-1.0,
    )
    windows, rows, y, chunks = _streamed(stream)
    expected = SlidingWindowTransformer(sequence_length, padding=padding, fill_value=-1.0)
    expected = expected.fit_transform(table[FEATURES])
    np.testing.assert_array_equal(windows, expected)
    np.testing.assert_array_equal(rows, np.arange(len(table)))
    np.testing.assert_array_equal(y, table["direction"])
    # Chunks never cross a file, so there are boundaries inside and between files.
    assert len(chunks) == sum(-(-n // 7) for n in FILE_ROWS)
    assert all(not c.windows.flags.writeable for c in chunks)


def test_directory_is_read_in_file_name_order_and_index_columns_are_left_out(table, paths):
    windows, _, _, _ = _streamed(
        WindowStream(paths[0].parent, 5, label="direction", time_column="time")
    )
    expected = SlidingWindowTransformer(5).fit_transform(table[FEATURES])
    np.testing.assert_array_equal(windows, expected)


def test_dask_dataframe_source(table):
    dd = pytest.importorskip("dask.dataframe")
    source = dd.from_pandas(table, npartitions=3)
    windows, rows, _, chunks = _streamed(WindowStream(source, 6, columns=FEATURES, batch_rows=10))
    expected = SlidingWindowTransformer(6).fit_transform(table[FEATURES])
    np.testing.assert_array_equal(windows, expected)
    np.testing.assert_array_equal(rows, np.arange(len(table)))
    assert len(chunks) > 3


def test_scaler_fitted_over_chunks_matches_scaler_fitted_in_memory(table, paths):
    stream = WindowStream(paths, 6, columns=FEATURES, batch_rows=7)
    streamed = partial_fit_table(StandardScaler(), stream)
    in_memory = StandardScaler().fit(table[FEATURES])
    np.testing.assert_allclose(streamed.mean_, in_memory.mean_, rtol=1e-12)
    np.testing.assert_allclose(streamed.scale_, in_memory.scale_, rtol=1e-10)
    assert streamed.n_samples_seen_ == len(table)

    # The transform is applied chunk by chunk, before windowing, as in a pipeline.
    windows, _, _, _ = _streamed(stream.with_transform(in_memory))
    expected = SlidingWindowTransformer(6).fit_transform(in_memory.transform(table[FEATURES]))
    np.testing.assert_array_equal(windows, expected)


def test_streamed_training_and_prediction_match_in_memory(table, paths):
    from sktemporal import AttentionLSTMClassifier

    params = dict(
        lstm_units=3, attention_units=3, dense_units=4, batch_size=8, random_state=0, **TINY_STEM
    )
    stream = WindowStream(paths, 6, columns=FEATURES, label="direction", batch_rows=40)
    scaler = partial_fit_table(StandardScaler(), stream)
    stream = stream.with_transform(scaler)
    streamed = partial_fit_windows(AttentionLSTMClassifier(**params), stream, classes=[-1, 1])

    # In memory: the same windows, the same chunks, the same partial_fit calls.
    windows = SlidingWindowTransformer(6).fit_transform(scaler.transform(table[FEATURES]))
    y = table["direction"].to_numpy()
    in_memory = AttentionLSTMClassifier(**params)
    for chunk in stream:
        in_memory.partial_fit(windows[chunk.rows], y[chunk.rows], classes=[-1, 1])
    assert streamed.n_iter_ == in_memory.n_iter_
    for got, expected in zip(
        streamed.model_.get_weights(), in_memory.model_.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(got, expected)

    rows, probabilities = zip(*iter_predict_proba(streamed, stream), strict=True)
    np.testing.assert_array_equal(np.concatenate(rows), np.arange(len(table)))
    np.testing.assert_allclose(
        np.concatenate(probabilities), streamed.predict_proba(windows), rtol=1e-6, atol=1e-7
    )


def test_files_out_of_time_order_are_refused(table, paths):
    stream = WindowStream([paths[0], paths[2], paths[1]], 6, time_column="time")
    with pytest.raises(ValueError, match=r"not in time order: .*part-00001\.parquet, row 0"):
        list(stream)


def test_missing_value_names_file_row_and_column(table, tmp_path):
    table.iloc[30, 1] = np.nan
    paths = _write(table, tmp_path)
    with pytest.raises(ValueError, match=r"'close' .*part-00002\.parquet, row 0 \+ 3"):
        list(WindowStream(paths, 6, columns=FEATURES, batch_rows=7))


def test_unknown_column_and_missing_label_are_named(paths):
    with pytest.raises(ValueError, match=r"\['price'\] are not in .*part-00000\.parquet"):
        list(WindowStream(paths, 6, columns=["price"]))
    with pytest.raises(ValueError, match="no label column"):
        partial_fit_windows(SGDClassifier(), WindowStream(paths, 6))
    with pytest.raises(ValueError, match="sequence_length must be an int >= 1"):
        WindowStream(paths, 0)


def test_a_panel_is_refused_rather_than_windowed_across_entities(tmp_path):
    """A stream windows rows in the order read: a panel's entities would share windows."""
    index = pd.MultiIndex.from_product(
        [["a", "b"], pd.date_range("2020-01-01", periods=5)], names=["symbol", "date"]
    )
    panel = pd.DataFrame({"x": np.arange(10.0)}, index=index)
    with pytest.raises(ValueError, match="panel of several series.*SlidingWindowTransformer"):
        list(WindowStream(panel, 3))
    pytest.importorskip("pyarrow")
    panel.to_parquet(tmp_path / "panel.parquet")
    with pytest.raises(ValueError, match="written from a DataFrame with a MultiIndex"):
        list(WindowStream(tmp_path / "panel.parquet", 3))
    # One entity at a time streams as a single series.
    chunks = list(WindowStream(panel.loc["b"].reset_index(drop=True), 3))
    assert chunks[0].windows[0, :, 0].tolist() == [5.0, 5.0, 5.0]
