"""A briefing as a list of blocks, written as Markdown and, through markdown-it-py, as HTML.

>>> doc = Doc()
>>> doc.h(1, "Briefing")
>>> doc.table(["State", "P(for)"], [["DE", "4%"]])
>>> print(doc.markdown(), end="")
# Briefing
<BLANKLINE>
| State | P(for) |
| --- | ---: |
| DE | 4% |
>>> "<td>DE</td>" in doc.html("Briefing")
True
"""

from __future__ import annotations

import html as html_lib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Doc", "STYLE"]

#: The HTML page's style: print-like, readable, tables right-aligned but for the first column.
STYLE = ("body{font-family:Georgia,serif;max-width:52em;margin:2em auto;color:#111;"
         "line-height:1.45}table{border-collapse:collapse;margin:1em 0}"
         "th,td{border:1px solid #999;padding:2px 8px}"
         "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
         "blockquote{border:2px solid #444;padding:.5em 1em;margin:1.5em 0;font-size:.9em}"
         "code{font-size:.9em}")


@dataclass
class Doc:
    """A briefing as blocks: ("h", level, text), ("p", text), ("table", header, rows),
    ("img", path, alt), ("box", title, lines)."""

    blocks: list = field(default_factory=list)

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", level, text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", header, rows))

    def img(self, path: Path, alt: str) -> None:
        self.blocks.append(("img", path.name, alt))

    def box(self, title: str, lines: list[str]) -> None:
        self.blocks.append(("box", title, lines))

    def markdown(self, images: dict[str, str] | None = None) -> str:
        """The briefing as Markdown; ``images`` maps a chart's file name to the address to use
        instead (a data URI, for a self-contained page)."""
        images = images or {}
        out = []
        for b in self.blocks:
            if b[0] == "h":
                out.append(f"{'#' * b[1]} {b[2]}")
            elif b[0] == "p":
                out.append(b[1])
            elif b[0] == "table":
                header, rows = b[1], b[2]
                align = ["---"] + ["---:"] * (len(header) - 1)
                lines = [header, align, *rows]
                out.append("\n".join("| " + " | ".join(r) + " |" for r in lines))
            elif b[0] == "img":
                out.append(f"![{b[2]}]({images.get(b[1], b[1])})")
            elif b[0] == "box":
                out.append("\n".join([f"> **{b[1]}**", ">"] + [f"> - {line}" for line in b[2]]))
        return "\n\n".join(out) + "\n"

    def html(self, title: str, embed_from: Path | None = None) -> str:
        """A complete HTML page: the Markdown rendered by markdown-it-py (CommonMark with
        tables). With ``embed_from`` (the folder holding the charts) every chart is embedded as
        a data URI, so the page is one file that can be mailed."""
        import base64

        from markdown_it import MarkdownIt

        images = {}
        if embed_from is not None:
            for b in self.blocks:
                if b[0] == "img":
                    data = base64.b64encode((Path(embed_from) / b[1]).read_bytes()).decode()
                    images[b[1]] = f"data:image/png;base64,{data}"
        body = MarkdownIt("commonmark").enable("table").render(self.markdown(images))
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html_lib.escape(title)}</title><style>{STYLE}</style></head><body>\n"
                + body + "</body></html>\n")
