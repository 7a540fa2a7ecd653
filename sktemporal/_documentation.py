"""Where the documentation lives, for links from the notebook diagram of an estimator.

scikit-learn's HTML representation links each estimator to its API page; sktemporal's
estimators link to their page under :data:`DOCS_URL`, built by ``sphinx-build`` from
``docs/`` (the API pages are ``generated/sktemporal.<Name>.html``). Set the environment
variable ``SKTEMPORAL_DOCS_URL`` to a folder of your own build (for example
``file:///path/to/docs/_build/html/``) to link there instead.
"""

import os

__all__ = ["DOCS_URL", "DocumentationLinkMixin"]

#: Root of the HTML documentation, ending in "/".
DOCS_URL = os.environ.get("SKTEMPORAL_DOCS_URL", "https://sktemporal.readthedocs.io/en/latest/")
if not DOCS_URL.endswith("/"):
    DOCS_URL += "/"


class DocumentationLinkMixin:
    """Link an estimator's notebook diagram to its page of sktemporal's API reference.

    scikit-learn's HTML representation reads these three attributes
    (``sklearn.utils._repr_html.base._HTMLDocumentationLinkMixin``). The API reference
    documents a name that ``sktemporal`` exports as ``sktemporal.<Name>``, any other under
    its module.
    """

    _doc_link_module = "sktemporal"
    _doc_link_template = DOCS_URL + "generated/{public_module}.{estimator_name}.html"

    def _doc_link_url_param_generator(self):
        import sktemporal

        name = type(self).__name__
        module = "sktemporal" if name in sktemporal.__all__ else type(self).__module__
        return {"public_module": module, "estimator_name": name}
