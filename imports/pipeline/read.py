"""Stream an inspected lead file as DataFrames of text, chunk by chunk, so memory stays flat.

Every chunk has:

- one column per header cell, named by `FileFormat.columns` (the header made unique: blanks become
  `column_<n>`, repeats `Name.1`, `Name.2`), every cell a `str`, `""` when missing (short rows are
  padded);
- a last column `ROW_ERROR` (`"__row_error__"`): `""` for a readable row, else why the row cannot be
  imported as it is — today only "row has more cells than the header (M)" for a CSV row longer than the
  header (its first M cells are kept so the error file can show them);
- an index that is the row as a spreadsheet shows it: header = 1, first data row = 2. A CSV's records
  are numbered as a spreadsheet numbers them: a blank line is a row (and the rows below it keep their
  number), a quoted cell over several lines is one row; XLSX rows keep their sheet row number. Rows
  with no visible cell (blank or whitespace-only lines, `,,,,`, an empty sheet row) are not yielded.

A re-uploaded error file (header has both `row_number` and `error`) loses those two columns and the
`'` our error file puts before `=`, `+`, `-`, `@`, tab, CR, LF and NUL.

`skip_rows` counts data rows yielded by an earlier run (sum of the chunk lengths), so a resumed import
continues exactly after its checkpoint. `count_rows` counts the same rows.

A file that turns out unreadable past the inspected sample (an unclosed quote at the end, say) raises
`UploadRejected` naming the line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from pandas.errors import ParserError

from .fileformat import FileFormat, UploadRejected, is_error_file, reserved_columns
from .sheet_head import write_sheet_head
from .sheet_xml import cell_text, count_shown_rows, open_first_sheet
from .synthetic_header import SyntheticHeader

ROW_ERROR = "__row_error__"
# Spare columns behind the header; a longer row shows up as a non-empty spare cell.
SPARE_COLUMNS = 3
# Our error file neutralized these; a fixed error file uploaded back gets them as they were.
NEUTRALIZED = r"^'(?=[=+\-@\t\r\n\x00])"
COUNT_CHUNK = 200_000
GROWN_CHUNK = 50_000


def _open_text(path, fmt: FileFormat):
    return open(path, encoding=fmt.encoding, newline="", errors="strict")


@contextmanager
def _csv_reader(path, fmt: FileFormat, *, chunk_size: int, usecols: list[int] | None = None):
    """pandas' chunked C reader over the file behind a synthetic header; the file's header is the first record."""
    if fmt.delimiter is None:
        raise ValueError("A CSV file's format names its delimiter (set by the upload check).")
    width = len(fmt.header) + SPARE_COLUMNS
    first_line = fmt.delimiter.join(f"c{index}" for index in range(width)) + "\n"
    with _open_text(path, fmt) as handle:
        reader = pd.read_csv(
            SyntheticHeader(handle, first_line),
            sep=fmt.delimiter,
            header=0,
            usecols=usecols if usecols is not None else list(range(width)),
            index_col=False,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            # Blank lines are records: the rows below them keep the number a spreadsheet shows.
            skip_blank_lines=False,
            engine="c",
            chunksize=chunk_size,
        )
        with reader:
            yield reader


def _read(reader, rows: int, fmt: FileFormat) -> pd.DataFrame | None:
    """The next `rows` records (fewer at the end), None at the end of the file."""
    try:
        return reader.get_chunk(rows)
    except StopIteration:
        return None
    except ParserError as error:
        raise UploadRejected(f"The file cannot be read to the end: {_parser_reason(error)}") from error
    except UnicodeDecodeError as error:
        raise UploadRejected(f"The file is not valid {fmt.encoding_name} text further down.") from error


def _parser_reason(error: Exception) -> str:
    text = str(error).strip()
    if "EOF inside string" in text:
        return "a quote is opened and never closed (" + text.split("C error: ", 1)[-1] + ")."
    return text.split("C error: ", 1)[-1]


def _empty_records(raw: pd.DataFrame) -> np.ndarray:
    """Records with no visible cell (blank and whitespace-only lines, rows of only delimiters), which
    pandas' `skip_blank_lines` would drop without numbering. The first column decides for almost every
    row; only the rows where it is blank are looked at further."""
    empty = (raw.iloc[:, 0].str.strip() == "").to_numpy(dtype=bool, copy=True)
    rows = np.flatnonzero(empty)
    if len(rows):
        rest = raw.iloc[rows, 1:]
        for index in range(rest.shape[1]):
            empty[rows] &= (rest.iloc[:, index] == "").to_numpy(dtype=bool)
    return empty


def _finish(raw: pd.DataFrame, fmt: FileFormat, first_row: int, error_file: bool) -> pd.DataFrame:
    """The chunk's records as rows `first_row`, `first_row + 1`, …, those with no visible cell left out."""
    raw.index = pd.RangeIndex(first_row, first_row + len(raw))
    empty = _empty_records(raw)
    if empty.any():
        raw = raw[~empty]
    columns = fmt.columns
    width = len(columns)
    frame = raw.iloc[:, :width].set_axis(columns, axis=1)
    longer = np.zeros(len(raw), dtype=bool)
    for spare in range(width, raw.shape[1]):
        longer |= raw.iloc[:, spare].to_numpy(dtype=object) != ""
    frame[ROW_ERROR] = ""
    if longer.any():
        frame.loc[longer, ROW_ERROR] = f"row has more cells than the header ({width})"
    if error_file:
        frame = _undo_error_file(frame, fmt)
    return frame


def _undo_error_file(frame: pd.DataFrame, fmt: FileFormat) -> pd.DataFrame:
    frame = frame.drop(columns=reserved_columns(fmt.header))
    for column in frame.columns:
        if column != ROW_ERROR:
            values = frame[column]
            if values.str.startswith("'").any():
                frame[column] = values.str.replace(NEUTRALIZED, "", regex=True)
    return frame


def _iter_csv(path, fmt: FileFormat, *, chunk_size: int, skip_rows: int, size_after) -> Iterator[pd.DataFrame]:
    error_file = is_error_file(fmt.header)
    yielded = skip_rows
    with _csv_reader(path, fmt, chunk_size=chunk_size) as reader:
        if _read(reader, fmt.header_row, fmt) is None:  # preamble, blank lines, "sep=" line, header
            return
        next_row = fmt.first_row
        remaining = skip_rows  # data rows yielded by an earlier run: records with a visible cell
        while remaining > 0:
            skipped = _read(reader, min(remaining, chunk_size), fmt)
            if skipped is None or skipped.empty:
                return
            remaining -= len(skipped) - int(_empty_records(skipped).sum())
            next_row += len(skipped)
        while (raw := _read(reader, size_after(yielded), fmt)) is not None and not raw.empty:
            frame = _finish(raw, fmt, next_row, error_file)
            next_row += len(raw)
            if not frame.empty:
                yielded += len(frame)
                yield frame


def _xlsx_rows(path, fmt: FileFormat):
    """(sheet row number, cells as text, row error) for every data row of the first sheet with a visible cell.

    python-calamine's `iter_rows` starts at sheet row 1 but at the first used column; padding the
    cells back to column A lines them up with the header `inspect_file` read from the sheet XML.
    """
    sheet = open_first_sheet(path)
    width = len(fmt.header)
    first_column = sheet.start[1] if sheet.start else 0
    padding = [""] * first_column
    too_long = f"row has more cells than the header ({width})"
    for number, row in enumerate(sheet.iter_rows(), start=1):
        if number <= fmt.header_row:
            continue
        cells = [value if type(value) is str else cell_text(value) for value in row]
        if not any(cells):
            continue
        if padding:
            cells = padding + cells
        error = ""
        if len(cells) > width:
            error = too_long if any(cells[width:]) else ""
            cells = cells[:width]
        elif len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield number, cells, error


def _iter_xlsx(path, fmt: FileFormat, *, skip_rows: int, size_after) -> Iterator[pd.DataFrame]:
    error_file = is_error_file(fmt.header)
    columns = fmt.columns
    numbers: list[int] = []
    batch: list[list[str]] = []
    errors: list[str] = []
    skipped = 0
    yielded = skip_rows
    size = size_after(yielded)

    def frame() -> pd.DataFrame:
        data = pd.DataFrame(batch, columns=columns, index=pd.Index(numbers), dtype=str)
        data[ROW_ERROR] = pd.Series(errors, index=data.index, dtype=str)
        return _undo_error_file(data, fmt) if error_file else data

    for number, cells, error in _xlsx_rows(path, fmt):
        if skipped < skip_rows:
            skipped += 1
            continue
        numbers.append(number)
        batch.append(cells)
        errors.append(error)
        if len(batch) >= size:
            yield frame()
            yielded += len(batch)
            size = size_after(yielded)
            numbers, batch, errors = [], [], []
    if batch:
        yield frame()


def iter_chunks(path, fmt: FileFormat, *, chunk_size=50_000, skip_rows=0, counted_rows=None) -> Iterator[pd.DataFrame]:
    """Yield the data rows (header excluded) as DataFrames of str; see the module docstring for the shape.
    Past `counted_rows` (the upload's count was fooled), chunks double up to GROWN_CHUNK rows: a small
    count never turns a long file into one commit per row."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")

    def size_after(yielded: int) -> int:
        past = counted_rows is not None and yielded >= counted_rows
        return max(chunk_size, min(GROWN_CHUNK, 2 * (yielded - counted_rows))) if past else chunk_size

    if fmt.kind == "xlsx":
        return _iter_xlsx(path, fmt, skip_rows=skip_rows, size_after=size_after)
    return _iter_csv(path, fmt, chunk_size=chunk_size, skip_rows=skip_rows, size_after=size_after)


def first_rows(path: str | os.PathLike, fmt: FileFormat, rows: int) -> pd.DataFrame | None:
    """The first `rows` data rows of `iter_chunks`; an XLSX read from a copy of its first rows (`sheet_head`)."""
    if fmt.kind != "xlsx":
        return next(iter_chunks(path, fmt, chunk_size=rows), None)
    with tempfile.TemporaryDirectory(prefix="leadsy-head-") as folder:
        head = os.path.join(folder, "head.xlsx")
        write_sheet_head(path, head, after_row=fmt.header_row, rows=rows, scratch=folder)
        return next(_iter_xlsx(head, fmt, skip_rows=0, size_after=lambda _: rows), None)


def estimate_rows(path: str | os.PathLike, fmt: FileFormat, *, exact_below: int) -> int:
    """`count_rows` under `exact_below` bytes; above, extrapolated from the file's first bytes (the preview)."""
    size = os.path.getsize(path)
    if fmt.kind == "xlsx":
        return count_shown_rows(path, after_row=fmt.header_row, sample_bytes=None if size <= exact_below else 1 << 20)
    if size <= exact_below:
        return count_rows(path, fmt)
    read = 0
    rows = 0
    with _open_text(path, fmt) as handle:
        handle.readline()  # the header (a preamble is too short to matter)
        while read < exact_below and (line := handle.readline()):
            read += len(line.encode(fmt.encoding or "utf-8", "replace"))
            rows += 1
    return round(rows * size / max(read, 1)) if rows else 0


def count_rows(path: str | os.PathLike, fmt: FileFormat) -> int:
    """The number of data rows `iter_chunks` yields (header excluded), without building them."""
    if fmt.kind == "xlsx":
        return count_shown_rows(path, after_row=fmt.header_row)
    for columns in ([0], None):  # the first column decides, unless a row has it blank: then all of them
        total = 0
        with _csv_reader(path, fmt, chunk_size=COUNT_CHUNK, usecols=columns) as reader:
            if _read(reader, fmt.header_row, fmt) is None:  # as in _iter_csv
                return 0
            while (raw := _read(reader, COUNT_CHUNK, fmt)) is not None and not raw.empty:
                if (empty := int(_empty_records(raw).sum())) and columns:
                    break
                total += len(raw) - empty
            else:
                return total
    return total
