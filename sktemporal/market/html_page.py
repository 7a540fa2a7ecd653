"""The building blocks of sktemporal's self-contained HTML reports.

Both reports (:mod:`~sktemporal.market.report` for one series,
:mod:`~sktemporal.market.panel_report` for many assets) are one HTML file with tables and
figures embedded as PNG data URIs; these functions write the pieces, escaped.
"""

import base64
import html
import io

__all__ = ["escape", "figure", "new_figure", "png", "section", "table"]


def escape(text):
    return html.escape(str(text), quote=True)


def section(title, content):
    return f"<section>\n<h2>{escape(title)}</h2>\n{content}\n</section>"


def figure(title, png, caption):
    data = base64.b64encode(png).decode("ascii")
    return section(
        title,
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(title)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>",
    )


def table(header, rows, numeric_from=1):
    """An HTML table with ``header`` cells (none when None) and one ``<tr>`` per row.

    Cells are escaped, except those given as ``("html", text)``; cells from column
    ``numeric_from`` on are right-aligned numbers; with no header, the first cell of each row
    is its row heading.
    """

    def cell(value, tag, numeric=False):
        text = value[1] if isinstance(value, tuple) and value[0] == "html" else escape(value)
        kind = ' class="num"' if numeric else ""
        return f"<{tag}{kind}>{text}</{tag}>"

    def row(values):
        cells = [
            cell(v, "th" if i == 0 and header is None else "td", i >= numeric_from)
            for i, v in enumerate(values)
        ]
        return "<tr>" + "".join(cells) + "</tr>"

    head = ""
    if header is not None:
        head = "<thead><tr>" + "".join(cell(h, "th") for h in header) + "</tr></thead>\n"
    body = "\n".join(row(values) for values in rows)
    return f"<table>\n{head}<tbody>\n{body}\n</tbody>\n</table>"


def new_figure(**kwargs):
    """A matplotlib Figure outside pyplot: nothing global to close, no display needed."""
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kwargs)


def png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
