"""The market application built on the library: daily prices to a direction model and its backtest.

- :mod:`~sktemporal.market.datasets`: the bundled S&P 500 series and a checked OHLCV CSV loader;
- :mod:`~sktemporal.market.features`: causal technical indicators (TA-Lib);
- :mod:`~sktemporal.market.labels`: direction labels from future returns;
- :mod:`~sktemporal.market.preparation`: features and labels aligned into windows;
- :mod:`~sktemporal.market.scores` and :mod:`~sktemporal.market.walk_forward`: the
  walk-forward evaluation against three baselines;
- :mod:`~sktemporal.market.direction_model`: the refitted model and its files;
- :mod:`~sktemporal.market.backtest`: the strategy's daily backtest against buy-and-hold;
- :mod:`~sktemporal.market.out_of_sample`: the walk-forward's out-of-sample predictions, gated
  by confidence and backtested;
- :mod:`~sktemporal.market.saved_run`: the files of one ``sktemporal train`` run, written as
  one transaction and read back with their checks;
- :mod:`~sktemporal.market.training_run`: the run itself (evaluate, fit, check, save), with
  :mod:`~sktemporal.market.progress` to follow it;
- :mod:`~sktemporal.market.report`: the HTML report.

The library core (windowing, layers, networks, classifiers, the meta-estimator, the look-ahead
checker, persistence, plotting, out-of-core, scaling) never imports from here; the command line
(:mod:`sktemporal.cli`) sits on top of both.
"""
