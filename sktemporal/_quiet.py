"""Keep the backends' start-up chatter off the terminal.

TensorFlow, absl and XLA write start-up and device-probing messages from C++ straight to file
descriptor 2 (``WARNING: All log messages before absl::InitializeLog() ...``, ``This
TensorFlow binary is optimized to use available CPU instructions ...``), where no Python
setting and, in current releases, not even ``TF_CPP_MIN_LOG_LEVEL`` reaches them. Keras'
TensorFlow backend also logs a "retracing" warning whenever a few new models have predicted
in a row, as every fit of a cross-validation does.
"""

import contextlib
import functools
import logging
import os
import sys
import tempfile
import warnings

__all__ = [
    "native_stderr_hidden",
    "retracing_warnings_hidden",
    "single_step_softmax_notes_hidden",
    "wants_backend_logs",
]


def wants_backend_logs():
    """Whether the user asked for TensorFlow's C++ logs (``TF_CPP_MIN_LOG_LEVEL=0``)."""
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0"


@contextlib.contextmanager
def native_stderr_hidden(stderr=None):
    """Yield a stream for one's own lines while other output to descriptor 2 is hidden.

    While the block runs, descriptor 2 points at a temporary file, and the stream yielded
    writes to a duplicate of the real one. If the block raises, what was hidden is written to
    the real stderr after it, so a failure never loses its messages. Nothing is redirected
    when ``stderr`` (default: ``sys.stderr``) is not the process's descriptor 2, as when
    tests capture it.

    Parameters
    ----------
    stderr : file-like, default=None
        The stream that stands for descriptor 2.

    Yields
    ------
    file-like
        Where to write one's own lines.
    """
    stderr = sys.stderr if stderr is None else stderr
    try:
        descriptor = stderr.fileno()
    except (AttributeError, OSError, ValueError):
        descriptor = None
    if descriptor != 2:
        yield stderr
        return
    stderr.flush()
    own = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    with tempfile.TemporaryFile() as hidden:
        os.dup2(hidden.fileno(), 2)
        try:
            yield own
        except BaseException:
            hidden.seek(0)
            own.write(hidden.read().decode("utf-8", errors="backslashreplace"))
            raise
        finally:
            own.flush()
            os.dup2(own.fileno(), 2)
            own.close()


@contextlib.contextmanager
def retracing_warnings_hidden():
    """Raise the ``tensorflow`` logger to errors for the block, then restore its level.

    Each fit builds a new model, whose first predictions trace new functions: TensorFlow's
    note that "5 out of the last 5 calls ... triggered tf.function retracing" describes that
    design, not a problem in the user's code.
    """
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


# Keras warns that a softmax over an axis of size 1 always returns 1. In these networks that
# is attention over a window of one step (after the stem's pooling): attention then has one
# step to choose, its weight is 1, and the network classifies that step (see the docs).
_SINGLE_STEP_SOFTMAX = r"You are using a softmax over axis .* This axis has size 1"


def single_step_softmax_notes_hidden(method):
    """Run ``method`` with Keras' note on a softmax over one step hidden (see above)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_SINGLE_STEP_SOFTMAX, category=UserWarning)
            return method(*args, **kwargs)

    return wrapper
