"""Whatever bytes arrive, reading answers UploadRejected or clean DataFrames of text — nothing else."""

import csv
import io

import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from imports.pipeline.fileformat import UploadRejected, unique_columns
from imports.pipeline.inspect import inspect_file
from imports.pipeline.read import ROW_ERROR, count_rows, iter_chunks
from tests.imports.files import xlsx_bytes

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_everything(path):
    """Inspect, count and read a file; returns None when it is rejected (the only allowed failure)."""
    try:
        fmt = inspect_file(path)
        total = count_rows(path, fmt)
        chunks = list(iter_chunks(path, fmt, chunk_size=7))
    except UploadRejected as error:
        event(f"rejected: {error.message.split(':')[0][:40]}")
        assert error.message
        assert error.status_code in (413, 422)
        return None
    event("read")
    assert sum(len(chunk) for chunk in chunks) == total
    for chunk in chunks:
        assert list(chunk.columns)[-1] == ROW_ERROR
        for column in chunk.columns:
            assert all(isinstance(value, str) for value in chunk[column]), column
        assert chunk.index.is_monotonic_increasing
    return fmt, chunks


@FAST
@given(data=st.binary(max_size=2000))
def test_random_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("random") / "upload.csv"
    path.write_bytes(data)
    read_everything(path)


@FAST
@given(
    prefix=st.sampled_from([b"PK\x03\x04", b"Email,Phone\n", b"\xef\xbb\xbfEmail;Phone\r\n", b"\xff\xfe"]),
    data=st.binary(max_size=500),
)
def test_random_bytes_behind_plausible_starts(tmp_path_factory, prefix, data):
    path = tmp_path_factory.mktemp("random") / "upload.csv"
    path.write_bytes(prefix + data)
    read_everything(path)


header_cell = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÁÉñü _-", min_size=1, max_size=12).filter(str.strip)
cell = st.text(alphabet="abcXYZ019 éñüï€,;|\t\"'=+-@\r\n", max_size=15)


@st.composite
def tables(draw):
    width = draw(st.integers(min_value=1, max_value=6))
    header = draw(st.lists(header_cell, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=12))
    # A data row must not vanish as a blank line: give every row one visible cell.
    rows = [[row[0] + "x", *row[1:]] for row in rows]
    return header, rows


@FAST
@given(
    table=tables(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_random_dialects_read_back_exactly(tmp_path_factory, table, delimiter, encoding, quoting):
    header, rows = table
    buffer = io.StringIO()
    # "\r\n" as the terminator makes csv quote any cell holding a CR or an LF, as spreadsheets do.
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n", quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("dialect") / "upload.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    result = read_everything(path)
    if result is None:
        return
    fmt, chunks = result
    if len(header) > 1:
        assert fmt.delimiter == delimiter
    if fmt.delimiter != delimiter:
        return  # a one-column file: any delimiter reads it the same way only if no cell holds one
    assert fmt.header == [name.strip() for name in header]
    data = pd.concat(chunks)
    columns = unique_columns(fmt.header)
    assert data[columns].to_numpy().tolist() == rows
    assert (data[ROW_ERROR] == "").all()
    assert list(data.index) == list(range(2, 2 + len(rows)))


@FAST
@given(
    width=st.integers(min_value=1, max_value=5),
    lengths=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=20),
)
def test_ragged_rows_are_padded_or_flagged(tmp_path_factory, width, lengths):
    header = [f"col{index}" for index in range(width)]
    lines = [",".join(header)] + [",".join(f"v{row}_{i}" for i in range(length)) for row, length in enumerate(lengths)]
    path = tmp_path_factory.mktemp("ragged") / "upload.csv"
    path.write_text("\n".join(lines) + "\n")
    _fmt, chunks = read_everything(path)
    data = pd.concat(chunks)
    assert len(data) == len(lengths)
    for (number, row), length in zip(data.iterrows(), lengths, strict=True):
        kept = min(length, width)
        assert row[header].tolist() == [f"v{number - 2}_{i}" for i in range(kept)] + [""] * (width - kept)
        assert (row[ROW_ERROR] != "") == (length > width)


@FAST
@given(size=st.integers(min_value=0, max_value=400_000), quoted=st.booleans())
def test_huge_cells(tmp_path_factory, size, quoted):
    big = "y" * size
    path = tmp_path_factory.mktemp("huge") / "upload.csv"
    path.write_text(f"Email,Notes\na@x.com,{big if not quoted else chr(34) + big + chr(34)}\n")
    _fmt, chunks = read_everything(path)
    assert pd.concat(chunks).loc[2, "Notes"] == big


xml_cell = st.text(alphabet="abcXYZ019 éñüï€,;|\t\"'=+-@<>&\n", max_size=15)


@FAST
@given(table=tables(), data=st.data())
def test_random_xlsx_tables_read_back_exactly(tmp_path_factory, table, data):
    header, _ = table
    rows = data.draw(st.lists(st.lists(xml_cell, min_size=len(header), max_size=len(header)), min_size=1, max_size=12))
    rows = [[row[0] + "x", *row[1:]] for row in rows]
    path = tmp_path_factory.mktemp("xlsx") / "upload.xlsx"
    path.write_bytes(xlsx_bytes([header, *rows]))
    result = read_everything(path)
    if result is None:
        return
    fmt, chunks = result
    assert fmt.header == [name.strip() for name in header]
    read = pd.concat(chunks)
    assert read[unique_columns(fmt.header)].to_numpy().tolist() == rows
    assert list(read.index) == list(range(2, 2 + len(rows)))
