"""Sphinx directives that print the ``sktemporal`` command's own ``--help`` at build time.

``.. cli-help:: train`` renders ``sktemporal train --help``; ``.. cli-help::`` alone the
top-level help, which lists every subcommand. The text comes from
:func:`sktemporal.cli.main`, so it cannot drift from the code.
"""

import contextlib
import io
import os

from docutils import nodes
from docutils.parsers.rst import Directive

_WIDTH = "76"


def cli_help(*words):
    """Return the help text of ``sktemporal WORDS --help``, wrapped to fit the page."""
    from sktemporal.cli import main

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = _WIDTH
    stream = io.StringIO()
    try:
        with contextlib.redirect_stdout(stream):
            status = main([*words, "--help"])
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous
    if status != 0:
        raise RuntimeError(f"`sktemporal {' '.join(words)} --help` exited with status {status}")
    return stream.getvalue().rstrip()


def _literal(text):
    block = nodes.literal_block(text, text)
    block["language"] = "text"
    return block


class CliHelp(Directive):
    optional_arguments = 1
    has_content = False

    def run(self):
        words = self.arguments[0].split() if self.arguments else []
        return [_literal(cli_help(*words))]


def setup(app):
    app.add_directive("cli-help", CliHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
