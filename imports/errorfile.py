"""The error file: each failed row's original cells plus `row_number` and `error`, written as we go.

UTF-8 with BOM (Excel then opens accents correctly), comma-separated. Cells that a spreadsheet would
run as a formula are prefixed with `'` (CSV injection); `reader.iter_chunks` strips that prefix again
when the fixed file is uploaded back.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence

from imports.headers import ERROR_FILE_COLUMNS

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def neutralize(value: str) -> str:
    """'=cmd|...' -> "'=cmd|...": a cell a spreadsheet would evaluate becomes plain text."""
    value = "" if value is None else str(value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class ErrorFileWriter:
    """Append failed rows to a CSV; the header is written only when the file is new or empty.

    Reopened chunk after chunk (and after a resume). To never write a row twice, save `offset`
    with each chunk's checkpoint and pass it back as `truncate_to` when resuming: rows written
    for a chunk that was never committed are cut off before new ones are appended.
    """

    def __init__(self, path: str | os.PathLike, header: Sequence[str], *, truncate_to: int | None = None):
        self.path = os.fspath(path)
        self.header = [*header, *ERROR_FILE_COLUMNS]
        if truncate_to is not None and os.path.exists(self.path) and os.path.getsize(self.path) > truncate_to:
            os.truncate(self.path, truncate_to)
        is_new = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        # utf-8-sig would write a BOM on every append; write it ourselves, once.
        self._handle = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self._writer = csv.writer(self._handle)
        if is_new:
            self._handle.write("\ufeff")
            self._writer.writerow([neutralize(cell) for cell in self.header])

    def write_row(self, cells: Iterable, *, row_number: int, error: str) -> None:
        self._writer.writerow([*(neutralize(cell) for cell in cells), str(row_number), neutralize(error)])

    def write_rows(self, rows: Iterable[tuple[Iterable, int, str]]) -> None:
        """rows: (cells, row_number, error) tuples."""
        self._writer.writerows(
            [*(neutralize(cell) for cell in cells), str(row_number), neutralize(error)]
            for cells, row_number, error in rows
        )

    @property
    def offset(self) -> int:
        """Bytes in the file once everything written so far is flushed (a checkpoint for `truncate_to`)."""
        self._handle.flush()
        return os.path.getsize(self.path)

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()

    def __enter__(self) -> ErrorFileWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
