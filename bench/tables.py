"""The benches' result tables, printed as Markdown so that they paste straight into the README."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def print_markdown_table(header: str, rows: Iterable[Sequence[object]]) -> None:
    """A blank line, then a table headed ``header`` (the column names between ``|``), a line per row of cells."""
    print(f"\n| {header} |")
    print("|---" * (header.count("|") + 1) + "|")
    for cells in rows:
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
