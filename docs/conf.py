"""Sphinx configuration of the sktemporal documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` from the repository
root (``pip install ".[docs]"`` first). The gallery in ``examples/`` is executed during the
build; ``-D plot_gallery=0`` skips running it for a quick check of the text.
"""

import logging
import os
import sys
from pathlib import Path

# TensorFlow prints C++ start-up notes on stderr; keep the build log readable.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The examples draw with matplotlib's non-interactive backend.
os.environ.setdefault("MPLBACKEND", "Agg")
# The gallery runs on JAX (a core dependency), as the command line does: 2-3 times faster
# than TensorFlow on CPU. A KERAS_BACKEND set by the caller is kept.
os.environ.setdefault("KERAS_BACKEND", "jax")
# TensorFlow's notes on retraced functions between folds are not problems of the examples.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import sktemporal  # noqa: E402

# -- Project ---------------------------------------------------------------------------------

project = "sktemporal"
author = "the sktemporal developers"
copyright = "the sktemporal developers, BSD-3-Clause"
version = release = sktemporal.__version__

# -- Extensions ------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",  # the Markdown pages: performance.md, scaling.md
    "cli_help",  # docs/_ext/cli_help.py: `sktemporal ... --help` rendered at build time
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "literal"

# -- API reference ---------------------------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autodoc_member_order = "groupwise"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# Class pages list the members written in sktemporal. Methods inherited unchanged from
# scikit-learn (``score``, ``get_params``, ``set_output``, ``set_fit_request``...) or scikeras
# are documented by those projects, and their docstrings point to labels of their own
# documentation, which do not exist here.
def _defined_in(obj):
    target = getattr(obj, "fget", obj)  # properties
    target = getattr(target, "__func__", target)  # class and static methods
    return getattr(target, "__module__", None) or ""


def _skip_member(app, what, name, obj, skip, options):
    """Leave out the methods a class inherits from outside sktemporal."""
    if what == "class" and (callable(obj) or isinstance(obj, property)):
        if not _defined_in(obj).startswith("sktemporal"):
            return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)


# -- Gallery ---------------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sktemporal",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sktemporal": None},
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "min_reported_time": 0,
    "show_memory": False,
    # An example that raises stops the build: a gallery that does not run is a bug.
    "abort_on_example_error": True,
}

# -- HTML ------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sktemporal {version}"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
# The comparison table needs the full width of the page.
html_sidebars = {"comparison": []}
