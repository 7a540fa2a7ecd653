"""The parameter descriptions that several of the meta-estimators' docstrings share, once.

As scipy's ``doccer`` and matplotlib's ``_docstring.interpd`` do: a docstring names a shared
entry as ``%(name)s`` on a line of its own, and :func:`fill_docstring` puts the entry there,
indented as the placeholder is, when the module is imported. The rendered docstrings (``help``,
the API pages, numpydoc's checks) hold the full text.
"""

import re
import textwrap

__all__ = ["SHARED_PARAMETERS", "fill_docstring"]

#: Parameter entries in numpydoc form, by placeholder name.
SHARED_PARAMETERS = {
    "X": """\
X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Samples, in any form ``estimator`` accepts.""",
    "thresholds": """\
thresholds : array-like of shape (n_thresholds,), default=None
    As in :func:`coverage_accuracy_curve`.""",
    "ax": """\
ax : matplotlib.axes.Axes, default=None
    Axes to draw on.""",
}

_PLACEHOLDER = re.compile(r"^( *)%\((\w+)\)s$", flags=re.MULTILINE)


def fill_docstring(function):
    """Replace each ``%(name)s`` line of ``function``'s docstring by its shared entry.

    Parameters
    ----------
    function : callable
        A function whose docstring holds placeholders, each alone on its line.

    Returns
    -------
    function : callable
        The same function, its docstring filled in.

    Raises
    ------
    KeyError
        If a placeholder names no entry of :data:`SHARED_PARAMETERS`.

    Examples
    --------
    >>> import inspect
    >>> def predict(X):
    ...     \"\"\"Predict.
    ...
    ...     Parameters
    ...     ----------
    ...     %(X)s
    ...     \"\"\"
    >>> print(inspect.cleandoc(fill_docstring(predict).__doc__))
    Predict.
    <BLANKLINE>
    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Samples, in any form ``estimator`` accepts.
    """
    function.__doc__ = _PLACEHOLDER.sub(
        lambda match: textwrap.indent(SHARED_PARAMETERS[match.group(2)], match.group(1)),
        function.__doc__,
    )
    return function
