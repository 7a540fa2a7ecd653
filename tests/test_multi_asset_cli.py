"""``sktemporal train``, ``predict``, ``backtest`` and ``report`` on many assets."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from sktemporal.cli import main
from sktemporal.market.datasets import load_sp500

TINY = [
    "--epochs", "1", "--sequence-length", "5", "--n-splits", "2", "--lstm-units", "2",
    "--attention-units", "2", "--dense-units", "2", "--stem-filters", "2",
    "--stem-kernel-sizes", "3", "--quiet",
]  # fmt: skip


def run(argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(argv)
    return status, stdout.getvalue(), stderr.getvalue()


def assert_one_line_error(status, err, match):
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("sktemporal: error: ")
    assert match in lines[0], lines[0]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three OHLCV files: AAA, BBB listed 30 days later, CCC with its own holidays."""
    folder = tmp_path_factory.mktemp("assets")
    prices = load_sp500().iloc[:220]
    rng = np.random.default_rng(1)
    other = prices * np.exp(np.cumsum(rng.normal(0, 0.01, len(prices))))[:, None]
    other["volume"] = prices["volume"]
    prices.to_csv(folder / "AAA.csv")
    other.iloc[30:].to_csv(folder / "BBB.csv")
    prices.drop(prices.index[90:92]).to_csv(folder / "CCC.csv")
    return folder


@pytest.fixture(scope="module")
def trained(folder, tmp_path_factory):
    model = tmp_path_factory.mktemp("run") / "m.keras"
    status, out, err = run(
        ["train", "--data-path", str(folder), "--model-path", str(model), *TINY]
    )
    assert status == 0, err
    return model, out


def test_train_on_a_folder_scores_per_asset_and_pooled(trained):
    model, out = trained

    assert "3 assets (AAA, BBB, CCC)" in out
    assert "34 OHLCV indicators per asset" in out
    assert "walk-forward by date" in out
    assert "pooled over the assets" in out and "per asset: mean ± std" in out
    for method in ("logistic_regression_per_asset", "majority", "persistence"):
        assert method in out
    report = json.loads((model.parent / "m.keras.report.json").read_text())
    assert report["panel"] is True
    assert set(report["asset_metrics"]) == {"AAA", "BBB", "CCC"}
    assert "logistic_regression" in report["baseline_metrics"]
    assert report["lookahead_check"]["leaks"] is False
    for fold in report["folds"]:
        assert fold["train"]["last_date"] < fold["test"]["first_date"]
        assert set(fold["asset_scores"]) == {"AAA", "BBB", "CCC"}
    oos = pd.read_csv(f"{model}.oos.csv")
    assert oos.columns[:3].tolist() == ["symbol", "date", "fold"]


def test_repeated_data_paths_and_a_long_file_train_the_same_job(folder, tmp_path):
    files = sorted(folder.glob("*.csv"))
    long = pd.concat(
        {path.stem: pd.read_csv(path) for path in files}, names=["symbol", "row"]
    ).reset_index(level=0)
    long.to_csv(tmp_path / "long.csv", index=False)

    outputs = []
    for data in (
        [arg for path in files for arg in ("--data-path", str(path))],
        ["--data-path", str(tmp_path / "long.csv")],
    ):
        model = tmp_path / f"m{len(outputs)}.keras"
        status, out, err = run(["train", *data, "--model-path", str(model), *TINY])
        assert status == 0, err
        outputs.append(json.loads((tmp_path / f"{model.name}.report.json").read_text()))
    assert outputs[0]["model_metrics"] == outputs[1]["model_metrics"]
    assert outputs[0]["asset_metrics"] == outputs[1]["asset_metrics"]


def test_predict_backtest_and_report_read_the_same_inputs(trained, folder, tmp_path):
    model, _ = trained
    data = ["--data-path", str(folder)]

    status, out, err = run(["predict", "--model-path", str(model), *data])
    assert status == 0, err
    predictions = pd.read_csv(io.StringIO(out))
    assert predictions.columns[:3].tolist() == ["symbol", "date", "predicted_class"]
    assert set(predictions["symbol"]) == {"AAA", "BBB", "CCC"}

    status, out, err = run(["backtest", "--model-path", str(model), *data, "--confidence", "0.34"])
    assert status == 0, err
    assert "equal-weight portfolio" in out
    for symbol in ("AAA", "BBB", "CCC"):
        assert f"\n{symbol} " in out

    status, out, err = run(
        ["report", "--model-path", str(model), *data, "--output", str(tmp_path / "html")]
    )
    assert status == 0, err
    page = (tmp_path / "html" / "index.html").read_text()
    assert "Per asset" in page and "Equal-weight portfolio" in page and "BBB" in page


def test_embedded_stocks_train_with_the_close_only_indicators(tmp_path):
    model = tmp_path / "m.keras"
    status, out, err = run(
        ["train", "--dataset", "sp500-stocks", "--symbols", "KO", "PEP", "--start",
         "2022-01-01", "--model-path", str(model), *TINY]
    )  # fmt: skip
    assert status == 0, err
    assert "bundled S&P 500 stocks: 2 assets (KO, PEP)" in out
    assert "close-only indicators" in out
    status, out, err = run(["backtest", "--model-path", str(model), "--confidence", "0.34"])
    assert status == 0, err
    assert "KO" in out and "equal-weight portfolio" in out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--dataset", "sp500-stocks", "--symbols", "TSLA"], "unknown symbol(s) 'TSLA'"),
        (["--symbols", "KO"], "argument --symbols: selects assets of many"),
        (["--dataset", "sp500-stocks", "--cv", "purged-kfold"], "by date; purged-kfold"),
        (["--dataset", "sp500-stocks", "--start", "2030-01-01"], "no row left"),
        (["--per-asset-models"], "--per-asset-models: applies to many assets only"),
    ],
    ids=["unknown symbol", "symbols of one series", "purged", "no rows", "per asset on one"],
)
def test_bad_panel_options_give_one_line(argv, match, tmp_path):
    status, _, err = run(["train", *argv, "--model-path", str(tmp_path / "m.keras"), *TINY])
    assert_one_line_error(status, err, match)
    assert not (tmp_path / "m.keras").exists()


def test_bad_panel_files_give_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    status, _, err = run(["train", "--data-path", str(tmp_path / "empty"), *TINY])
    assert_one_line_error(status, err, "holds no CSV file")

    long = tmp_path / "long.csv"
    long.write_text("date,symbol,close\n2020-01-02,AAA,10\n2020-01-02,AAA,11\n")
    status, _, err = run(["train", "--data-path", str(long), *TINY])
    assert_one_line_error(status, err, "appears more than once")


def test_a_panel_model_refuses_one_series_and_back(trained, tmp_path):
    model, _ = trained
    status, _, err = run(["predict", "--model-path", str(model)])
    assert_one_line_error(status, err, "trained on many assets; the data options give one series")
    status, _, err = run(["backtest", "--model-path", str(model)])
    assert_one_line_error(status, err, "not the embedded stocks")


def test_a_one_series_model_refuses_many_assets(tmp_path):
    prices = load_sp500().iloc[:220]
    prices.to_csv(tmp_path / "one.csv")
    model = tmp_path / "one.keras"
    status, _, err = run(
        ["train", "--data-path", str(tmp_path / "one.csv"), "--model-path", str(model), *TINY]
    )
    assert status == 0, err
    for command in ("backtest", "predict"):
        status, _, err = run([command, "--model-path", str(model), "--dataset", "sp500-stocks"])
        assert_one_line_error(status, err, "trained on one series; the data options give many")


def test_a_short_asset_is_left_out_by_name_and_the_rest_trained(folder, tmp_path):
    short = tmp_path / "assets"
    short.mkdir()
    for path in folder.glob("*.csv"):
        (short / path.name).write_bytes(path.read_bytes())
    load_sp500().iloc[:40].to_csv(short / "SHORT.csv")
    model = tmp_path / "m.keras"

    status, out, err = run(["train", "--data-path", str(short), "--model-path", str(model), *TINY])

    assert status == 0, err
    assert err.strip().splitlines() == [
        "sktemporal: warning: left out 1 asset(s) too short for one sample (55 rows needed "
        "with sequence_length=5, horizon=1): SHORT (40 rows)"
    ]
    report = json.loads((tmp_path / "m.keras.report.json").read_text())
    assert set(report["asset_metrics"]) == {"AAA", "BBB", "CCC"}
    assert report["data"]["left_out"] == {"SHORT": 40}
    status, out, err = run(["predict", "--model-path", str(model), "--data-path", str(short)])
    assert status == 0 and "SHORT (40 rows)" in err
    assert "SHORT" not in out
