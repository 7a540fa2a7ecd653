"""Settings for every test and doctest: quiet TensorFlow, draw figures without a screen."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
