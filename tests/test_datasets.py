"""Tests for the bundled S&P 500 data and the OHLCV CSV loader."""

import warnings
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from sktemporal.market.datasets import load_ohlcv_csv, load_sp500

COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]

HEADER = "Date,Open,High,Low,Close,Volume"
GOOD_ROWS = [
    "2020-01-02,10.0,10.5,9.5,10.2,1000",
    "2020-01-03,10.2,10.8,10.0,10.6,1500",
    "2020-01-06,10.6,10.7,10.1,10.3,1200",
]


def write_csv(tmp_path, lines, name="prices.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_sp500_shape_dates_and_columns():
    prices = load_sp500()

    assert prices.shape == (5031, 6)
    assert prices.columns.tolist() == COLUMNS
    assert (prices.dtypes == np.float64).all()
    assert isinstance(prices.index, pd.DatetimeIndex)
    assert prices.index.name == "date"
    assert prices.index[0] == pd.Timestamp("1999-01-04")
    assert prices.index[-1] == pd.Timestamp("2018-12-31")
    assert prices.index.is_monotonic_increasing
    assert prices.index.is_unique


def test_load_sp500_reads_dates_month_first():
    # The file writes 1/12/1999 for January 12th (close 1239.51) and 12/1/1999 for
    # December 1st (close 1397.72): a day-first reading would swap them.
    prices = load_sp500()

    assert prices.loc["1999-01-12", "close"] == pytest.approx(1239.51001)
    assert prices.loc["1999-12-01", "close"] == pytest.approx(1397.719971)
    assert prices.loc["1999-02-01", "volume"] == 799400000


def test_load_sp500_does_not_depend_on_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(load_sp500()) == 5031


def test_csv_loader_reads_the_bundled_file_like_load_sp500(tmp_path):
    # Both loaders share one validation; the same file must give the same frame.
    path = tmp_path / "sp500.csv.gz"
    path.write_bytes((files("sktemporal.market.datasets") / "data" / "sp500.csv.gz").read_bytes())

    pd.testing.assert_frame_equal(load_ohlcv_csv(path), load_sp500())


def test_load_ohlcv_csv_iso_dates_and_other_letter_case(tmp_path):
    path = write_csv(
        tmp_path,
        [
            "timestamp,OPEN,High,low,CLOSE,adj_close,VoLuMe,ticker",
            "2021-03-01,100.0,101.0,99.0,100.5,100.4,5000,XYZ",
            "2021-03-02,100.5,102.5,100.0,102.0,101.9,7000,XYZ",
        ],
    )

    prices = load_ohlcv_csv(path)

    expected = pd.DataFrame(
        {
            "open": [100.0, 100.5],
            "high": [101.0, 102.5],
            "low": [99.0, 100.0],
            "close": [100.5, 102.0],
            "adj_close": [100.4, 101.9],
            "volume": [5000.0, 7000.0],
        },
        index=pd.DatetimeIndex(["2021-03-01", "2021-03-02"], name="date"),
    )
    pd.testing.assert_frame_equal(prices, expected, check_index_type=False)
    assert isinstance(prices.index, pd.DatetimeIndex)


def test_load_ohlcv_csv_month_first_dates_and_spaced_adj_close(tmp_path):
    path = write_csv(
        tmp_path,
        [
            "DATE,Open,High,Low,Close,Adj Close,Volume",
            "1/31/2020,10,11,9,10.5,10.5,100",
            "2/3/2020,10.5,11,10,10.8,10.8,120",
            "12/1/2020,10.8,11,10.2,10.9,10.9,90",
        ],
    )

    prices = load_ohlcv_csv(path)

    assert prices.index.tolist() == [
        pd.Timestamp("2020-01-31"),
        pd.Timestamp("2020-02-03"),
        pd.Timestamp("2020-12-01"),
    ]
    assert prices.columns.tolist() == COLUMNS


def test_load_ohlcv_csv_without_adj_close_leaves_it_out(tmp_path):
    prices = load_ohlcv_csv(write_csv(tmp_path, [HEADER, *GOOD_ROWS]))

    assert prices.columns.tolist() == ["open", "high", "low", "close", "volume"]
    assert len(prices) == 3


def test_load_ohlcv_csv_date_format_reads_day_first_dates(tmp_path):
    path = write_csv(
        tmp_path,
        [HEADER, "01/02/2020,10,11,9,10.5,100", "03/02/2020,10.5,11,10,10.8,120"],
    )

    prices = load_ohlcv_csv(path, date_format="%d/%m/%Y")

    assert prices.index.tolist() == [pd.Timestamp("2020-02-01"), pd.Timestamp("2020-02-03")]


def test_load_ohlcv_csv_sorts_unsorted_dates_with_a_warning(tmp_path):
    rows = [GOOD_ROWS[1], GOOD_ROWS[0], GOOD_ROWS[2]]
    path = write_csv(tmp_path, [HEADER, *rows])

    with pytest.warns(UserWarning, match=r"not in ascending order .*sorted by date"):
        prices = load_ohlcv_csv(path)

    assert prices.index.is_monotonic_increasing
    # Each row moved with its date.
    assert prices["close"].tolist() == [10.2, 10.6, 10.3]
    assert prices.index[0] == pd.Timestamp("2020-01-02")


def test_load_ohlcv_csv_sorted_dates_do_not_warn(tmp_path):
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_ohlcv_csv(path)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        pytest.param(
            ["Date,Open,Close", "2020-01-02,10,10.5"],
            r"missing column\(s\) 'high', 'low', 'volume'",
            id="missing-columns",
        ),
        pytest.param(
            ["Day,Open,High,Low,Close,Volume", "2020-01-02,10,11,9,10.5,100"],
            r"missing column\(s\) 'date'.*date, timestamp or datetime",
            id="missing-date-column",
        ),
        pytest.param(
            ["Date,Close,Open,High,Low,close,Volume", "2020-01-02,1,1,1,1,1,1"],
            r"columns 'Close' and 'close' both read as 'close'",
            id="same-column-twice",
        ),
        pytest.param(
            [HEADER, GOOD_ROWS[0], "not-a-date,10,11,9,10.5,100"],
            r"cannot parse date 'not-a-date' in column 'Date' at data row 2",
            id="unparseable-date",
        ),
        pytest.param(
            [HEADER, GOOD_ROWS[0], ",10,11,9,10.5,100"],
            r"missing date in column 'Date' at data row 2",
            id="missing-date",
        ),
        pytest.param(
            [HEADER, *GOOD_ROWS, "2020-01-03,10,11,9,10.5,100"],
            r"date 2020-01-03 appears more than once \(data rows 2, 4\)",
            id="duplicated-date",
        ),
        pytest.param(
            [HEADER, GOOD_ROWS[0], "2020-01-03,10.2,10.8,10.0,,1500", GOOD_ROWS[2]],
            r"missing \(NaN\) value in column 'Close', first on 2020-01-03",
            id="nan-price",
        ),
        pytest.param(
            [HEADER, GOOD_ROWS[0], "2020-01-03,10.2,10.8,10.0,n/a?,1500"],
            r"non-numeric value 'n/a\?' in column 'Close' on 2020-01-03",
            id="non-numeric-price",
        ),
        pytest.param(
            [HEADER, GOOD_ROWS[0], "2020-01-03,10.2,inf,10.0,10.6,1500"],
            r"infinite value in column 'High', first on 2020-01-03",
            id="infinite-price",
        ),
        pytest.param(
            [HEADER, GOOD_ROWS[0], "2020-01-03,0,10.8,10.0,10.6,1500"],
            r"non-positive price 0.0 in column 'Open' on 2020-01-03; prices must be > 0",
            id="zero-price",
        ),
        pytest.param(
            [HEADER, "2020-01-02,10.0,10.5,-9.5,10.2,1000"],
            r"non-positive price -9.5 in column 'Low' on 2020-01-02",
            id="negative-price",
        ),
        pytest.param(
            [HEADER, "2020-01-02,10.0,10.5,9.5,10.2,1000", "2020-01-03,10.0,10.5,9.5,-1,1000"]
            + ["2020-01-06,-2,10.5,9.5,10.2,1000"],
            r"non-positive price -1.0 in column 'Close' on 2020-01-03",
            id="first-bad-row-in-time-order-across-columns",
        ),
        pytest.param(
            [HEADER, "2020-01-02,10.0,10.5,9.5,10.2,-1"],
            r"negative volume -1.0 in column 'Volume' on 2020-01-02",
            id="negative-volume",
        ),
        pytest.param([HEADER], r"header but no data rows", id="header-only"),
    ],
)
def test_load_ohlcv_csv_rejects_bad_files_with_one_line_message(tmp_path, lines, message):
    path = write_csv(tmp_path, lines)

    with pytest.raises(ValueError, match=message) as error:
        load_ohlcv_csv(path)

    assert "prices.csv" in str(error.value)
    assert "\n" not in str(error.value)


def test_load_ohlcv_csv_rejects_too_few_rows(tmp_path):
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS])

    with pytest.raises(ValueError, match="the job needs at least 5 rows, got 3"):
        load_ohlcv_csv(path, min_rows=5)
    assert len(load_ohlcv_csv(path, min_rows=3)) == 3


@pytest.mark.parametrize("min_rows", [0, -1, 2.5, True])
def test_load_ohlcv_csv_rejects_invalid_min_rows(tmp_path, min_rows):
    path = write_csv(tmp_path, [HEADER, *GOOD_ROWS])
    with pytest.raises(ValueError, match=r"min_rows('? parameter of \w+)? must be an int"):
        load_ohlcv_csv(path, min_rows=min_rows)


def test_load_ohlcv_csv_rejects_an_empty_file(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("")
    with pytest.raises(ValueError, match="is empty; expected a CSV file with a header row"):
        load_ohlcv_csv(path)


def test_load_ohlcv_csv_missing_file_names_the_path(tmp_path):
    path = tmp_path / "no_such_prices.csv"
    with pytest.raises(FileNotFoundError, match="OHLCV file not found: .*no_such_prices.csv"):
        load_ohlcv_csv(path)


def test_load_ohlcv_csv_rejects_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="expected an OHLCV CSV file"):
        load_ohlcv_csv(tmp_path)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"date,open,high,low,close,volume\n2020-01-01,1,2,0.5,\xff,10\n", "not UTF-8"),
        (
            b'date,open,high,low,close,volume\n"2020-01-01,1,2,0.5,1.5,10\n',
            "not a well-formed CSV file.*EOF inside string",
        ),
        (
            b"date,open,high,low,close,volume\n2020-01-01,1,2,0.5,1.5,10\n"
            b"2020-01-02,1,2,0.5,1.5,10,7,7\n",
            "not a well-formed CSV file.*Expected 6 fields",
        ),
        (
            b"date,open,high,low,close,volume\n2020-01-01T00:00+01:00,1,2,0.5,1.5,10\n"
            b"2020-01-02T00:00+02:00,1,2,0.5,1.5,10\n",
            "different UTC offsets",
        ),
        (
            b"date,open,high,low,close,volume\n2020-01-01,True,True,True,True,True\n",
            "non-numeric value 'True' in column 'open'",
        ),
        (
            b"date,close,close,open,high,low,volume\n2020-01-01,1,2,1,1,1,1\n",
            "columns 'close' and 'close' both read as 'close'",
        ),
        # pandas 2 reads -1 as the year -1 (caught as before 1800); pandas 3 does not parse it.
        (
            b"date,open,high,low,close,volume\n-1,1,2,0.5,1.5,10\n",
            "date '-1'.*before 1800|cannot parse date '-1'",
        ),
    ],
    ids=[
        "not utf-8",
        "stray quote",
        "extra fields",
        "utc offsets",
        "booleans",
        "repeated",
        "year -1",
    ],
)
def test_load_ohlcv_csv_names_the_file_for_malformed_csv(tmp_path, data, message):
    path = tmp_path / "prices.csv"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message) as error:
        load_ohlcv_csv(path)
    assert str(error.value).startswith(f"'{path}'")
    assert "\n" not in str(error.value)


def test_load_ohlcv_csv_keeps_one_utc_offset(tmp_path):
    path = write_csv(
        tmp_path,
        [HEADER, "2020-01-02T00:00+01:00,10,11,9,10,1", "2020-01-03T00:00+01:00,10,11,9,10,1"],
    )
    prices = load_ohlcv_csv(path)
    assert str(prices.index.tz) == "UTC+01:00"
    assert len(prices) == 2


# ---------------------------------------------------------------------------- panels


def test_load_sp500_stocks_is_the_skfolio_panel():
    from sktemporal.market.datasets import SP500_STOCKS, load_sp500_stocks

    prices = load_sp500_stocks()

    assert prices.shape == (20 * 8313, 1)
    assert prices.columns.tolist() == ["close"]
    assert prices.index.names == ["symbol", "date"]
    assert list(pd.unique(prices.index.get_level_values(0))) == list(SP500_STOCKS)
    apple = prices.loc["AAPL", "close"]
    assert apple.index[0] == pd.Timestamp("1990-01-02")
    assert apple.index[-1] == pd.Timestamp("2022-12-28")
    assert apple.index.is_monotonic_increasing and apple.index.is_unique
    assert apple.iloc[0] == pytest.approx(0.264)
    assert prices.loc[("XOM", "2022-12-28"), "close"] == pytest.approx(106.627)
    assert (prices["close"] > 0).all()


def test_load_sp500_stocks_selects_symbols_and_dates():
    from sktemporal.market.datasets import load_sp500_stocks

    prices = load_sp500_stocks(["MSFT", "KO"], start="2020-01-01", end="2020-12-31")

    assert list(pd.unique(prices.index.get_level_values(0))) == ["MSFT", "KO"]
    assert len(prices) == 2 * 253
    with pytest.raises(ValueError, match="unknown symbol.*'TSLA'"):
        load_sp500_stocks(["TSLA"])
    with pytest.raises(ValueError, match="no date"):
        load_sp500_stocks(start="2030-01-01")


def test_skfolio_licence_and_credit_ship_beside_the_data():
    data = files("sktemporal.market.datasets") / "data"
    text = (data / "skfolio-LICENSE.md").read_text()
    assert "BSD 3-Clause License" in text
    assert "Copyright (c) 2023-2026 The skfolio developers." in text
    assert "sp500_stocks.csv.gz" in text
    assert (data / "sp500_stocks.csv.gz").is_file()


def _panel_csvs(folder):
    prices = load_sp500().iloc[:60]
    folder.mkdir()
    prices.to_csv(folder / "AAA.csv")
    prices.iloc[10:].assign(close=prices["close"].iloc[10:] * 2).to_csv(folder / "BBB.csv.gz")
    return prices


def test_load_price_panel_reads_a_folder_one_asset_per_file(tmp_path):
    from sktemporal.market.datasets import load_price_panel, panel_feature_set

    prices = _panel_csvs(tmp_path / "assets")

    panel = load_price_panel(tmp_path / "assets")

    assert panel.index.names == ["symbol", "date"]
    assert panel.columns.tolist() == ["open", "high", "low", "close", "volume"]
    assert list(pd.unique(panel.index.get_level_values(0))) == ["AAA", "BBB"]
    assert len(panel.loc["BBB"]) == 50  # listed later
    np.testing.assert_allclose(panel.loc["BBB", "close"], prices["close"].iloc[10:] * 2)
    assert panel_feature_set(panel) == "ohlcv"
    # The same files given one by one make the same panel.
    files_ = sorted((tmp_path / "assets").iterdir())
    pd.testing.assert_frame_equal(load_price_panel(files_), panel)


def test_load_price_panel_reads_a_long_file_and_falls_back_to_closes(tmp_path):
    from sktemporal.market.datasets import load_price_panel, panel_feature_set

    path = write_csv(
        tmp_path,
        [
            "Date,Ticker,Close,Volume",
            "2020-01-03,AAA,11,5",
            "2020-01-02,BBB,20,5",
            "2020-01-02,AAA,10,5",
            "2020-01-03,BBB,21,5",
        ],
    )
    with pytest.warns(UserWarning, match="symbol AAA.*sorted"):
        panel = load_price_panel(path)

    assert panel.columns.tolist() == ["close"]
    assert panel_feature_set(panel) == "close"
    assert panel.loc["AAA", "close"].tolist() == [10.0, 11.0]
    assert panel.loc["BBB", "close"].tolist() == [20.0, 21.0]


@pytest.mark.parametrize(
    "lines, message",
    [
        (["date,symbol,close", "2020-01-02,AAA,10", "2020-01-02,AAA,11"], "symbol AAA.*appears"),
        (["date,symbol,close", "2020-01-02,AAA,-1"], "symbol AAA.*non-positive"),
        (["date,symbol,open", "2020-01-02,AAA,1"], "missing column.*'close'"),
        (["date,symbol,close", "2020-01-02,,1"], "missing symbol"),
    ],
    ids=["repeated date", "negative close", "no close", "no symbol"],
)
def test_load_price_panel_names_the_asset_at_fault(tmp_path, lines, message):
    from sktemporal.market.datasets import load_price_panel

    with pytest.raises(ValueError, match=message) as error:
        load_price_panel(write_csv(tmp_path, lines))
    assert "\n" not in str(error.value)


def test_load_price_panel_refuses_a_symbol_twice_and_empty_folders(tmp_path):
    from sktemporal.market.datasets import load_price_panel

    first = write_csv(tmp_path, ["date,symbol,close", "2020-01-02,AAA,10"], "one.csv")
    second = write_csv(tmp_path, ["date,close", "2020-01-02,10"], "AAA.csv")
    with pytest.raises(ValueError, match="symbol 'AAA' comes twice"):
        load_price_panel([first, second])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no CSV file"):
        load_price_panel(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        load_price_panel(tmp_path / "nowhere.csv")


def test_check_price_panel_names_the_problem():
    from sktemporal.market.datasets import check_price_panel, load_sp500_stocks

    panel = load_sp500_stocks(["KO", "PEP"], start="2022-12-01")
    assert check_price_panel(panel) == ["KO", "PEP"]
    with pytest.raises(ValueError, match="indexed by \\(symbol, date\\)"):
        check_price_panel(panel.loc["KO"])
    with pytest.raises(ValueError, match="'PEP' are not strictly increasing"):
        check_price_panel(pd.concat([panel.loc[["KO"]], panel.loc[["PEP"]].iloc[::-1]]))
    with pytest.raises(ValueError, match="at least 100 rows per asset; 'KO' has 19"):
        check_price_panel(panel, min_rows=100)
