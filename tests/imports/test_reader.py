import csv
import json

import pandas as pd
import pytest

from bench.leadgen import HEADER, generate_rows, write_csv, write_xlsx
from imports.pipeline.fileformat import FileFormat, UploadRejected
from imports.pipeline.headers import plan_columns
from imports.pipeline.inspect import inspect_file
from imports.pipeline.read import ROW_ERROR, count_rows, first_rows, iter_chunks
from imports.pipeline.report import neutralize
from tests.imports.files import write_bytes, write_text, xlsx_from_xml, xlsx_with_numbers


def read_all(path, **kwargs) -> pd.DataFrame:
    fmt = inspect_file(path)
    chunks = list(iter_chunks(path, fmt, **kwargs))
    return pd.concat(chunks) if chunks else pd.DataFrame()


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_generated_file_in_chunks(tmp_path, suffix):
    path = tmp_path / f"leads.{suffix}"
    (write_csv if suffix == "csv" else write_xlsx)(path, 23)
    fmt = inspect_file(path)
    chunks = list(iter_chunks(path, fmt, chunk_size=10))
    assert [len(chunk) for chunk in chunks] == [10, 10, 3]
    data = pd.concat(chunks)
    assert list(data.columns) == [*HEADER, ROW_ERROR]
    assert list(data.index) == list(range(2, 25))
    expected = [row for row, _ in generate_rows(23)]
    assert data[HEADER].to_numpy().tolist() == expected
    assert (data[ROW_ERROR] == "").all()
    assert count_rows(path, fmt) == 23
    assert json.loads((tmp_path / f"leads.{suffix}.expected.json").read_text())["rows"] == 23


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_chunks_grow_past_a_count_that_was_too_small(tmp_path, suffix):
    """R37: a file longer than its upload counted is not read (and committed) one row at a time."""
    path = tmp_path / f"leads.{suffix}"
    (write_csv if suffix == "csv" else write_xlsx)(path, 1_005)
    fmt = inspect_file(path)
    chunks = list(iter_chunks(path, fmt, chunk_size=1, counted_rows=10))
    sizes = [len(chunk) for chunk in chunks]
    assert sizes[:10] == [1] * 10 and len(sizes) < 25  # one row a chunk while counted, then doubling
    assert sum(sizes) == 1_005
    assert list(pd.concat(chunks).index) == list(range(2, 1_007))


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@pytest.mark.parametrize("skip", [0, 1, 9, 10, 11, 22, 23, 40])
def test_skip_rows_resumes_exactly_after_the_checkpoint(tmp_path, suffix, skip):
    path = tmp_path / f"leads.{suffix}"
    (write_csv if suffix == "csv" else write_xlsx)(path, 23)
    fmt = inspect_file(path)
    whole = pd.concat(iter_chunks(path, fmt, chunk_size=10))
    rest = list(iter_chunks(path, fmt, chunk_size=10, skip_rows=skip))
    if skip >= 23:
        assert rest == []
    else:
        pd.testing.assert_frame_equal(pd.concat(rest), whole.iloc[skip:])
        assert len(rest[0]) == min(10, 23 - skip)


def test_cells_are_text_exactly_as_written(tmp_path):
    path = write_text(
        tmp_path / "leads.csv",
        'Email,Phone,Zip,Notes\na@example.com,+34 600 000 001,00123,"NA"\nb@example.com,,007,null\n',
    )
    data = read_all(path)
    assert data.to_numpy().tolist() == [
        ["a@example.com", "+34 600 000 001", "00123", "NA", ""],
        ["b@example.com", "", "007", "null", ""],
    ]


def test_ragged_rows(tmp_path):
    path = write_text(
        tmp_path / "leads.csv",
        "Email,Phone,City\na@x.com,1,Madrid\nb@x.com\nc@x.com,3,Bilbao,extra,more\nd@x.com,4,Sevilla,\ne@x.com,5,Vigo\n",
    )
    data = read_all(path, chunk_size=2)
    assert data["Email"].tolist() == ["a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"]
    assert data.loc[3].tolist() == ["b@x.com", "", "", ""]
    assert data.loc[4].tolist() == ["c@x.com", "3", "Bilbao", "row has more cells than the header (3)"]
    # A trailing delimiter only adds an empty cell: nothing lost, no error.
    assert data.loc[5, ROW_ERROR] == ""
    assert data.loc[6, ROW_ERROR] == ""


def test_quoted_newlines_and_blank_lines(tmp_path):
    path = write_text(
        tmp_path / "leads.csv",
        'Email,Notes\r\n\r\na@x.com,"line one\r\nline two"\r\n   \r\nb@x.com,"say ""hi"", ok"\r\n,\r\n',
    )
    data = read_all(path)
    assert data.to_numpy().tolist() == [
        ["a@x.com", "line one\r\nline two", ""],
        ["b@x.com", 'say "hi", ok', ""],
    ]
    # Numbered as a spreadsheet shows the file: the blank line is row 2, the two-line cell one row (3),
    # the whitespace line row 4; rows with no visible cell (2, 4 and the "," of row 6) are no records.
    assert list(data.index) == [3, 5]
    assert count_rows(path, inspect_file(path)) == 2


@pytest.mark.parametrize(
    ("encoding", "delimiter", "prefix"),
    [("utf-16-le", ";", "\ufeff"), ("utf-16-be", ";", ""), ("cp1252", ";", ""), ("utf-8", "\t", "\ufeff")],
)
def test_encodings_and_delimiters(tmp_path, encoding, delimiter, prefix):
    rows = [["Nombre", "Correo", "Teléfono"], ["José", "jose@example.com", "600000001"], ["Íñigo", "i@x.com", "€5"]]
    text = prefix + "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    path = write_text(tmp_path / "leads.csv", text, encoding)
    fmt = inspect_file(path)
    assert fmt.header == rows[0]
    data = read_all(path)
    assert data[rows[0]].to_numpy().tolist() == rows[1:]
    assert count_rows(path, fmt) == 2


def test_pipe_delimited(tmp_path):
    path = write_text(tmp_path / "leads.txt", "email|phone\na@x.com|1\nb@x.com|2\n")
    assert read_all(path)["phone"].tolist() == ["1", "2"]


def test_duplicate_header_names_become_distinct_columns(tmp_path):
    path = write_text(tmp_path / "leads.csv", "Email,Notes,Notes,\na@x.com,n1,n2,n3\n")
    fmt = inspect_file(path)
    data = read_all(path)
    assert list(data.columns) == ["Email", "Notes", "Notes.1", "column_4", ROW_ERROR]
    plan = plan_columns(fmt.header)
    assert set(plan.fields.values()) | set(plan.extra) <= set(data.columns)
    assert data.loc[2, "column_4"] == "n3"


def test_xlsx_cells_as_a_person_sees_them(tmp_path):
    path = xlsx_with_numbers(tmp_path / "leads.xlsx")
    fmt = inspect_file(path)
    assert fmt.header == ["Email", "Phone", "Score", "Formula"]
    data = read_all(path)
    # Row 3 is empty and skipped; row 4 keeps its sheet row number.
    assert list(data.index) == [2, 4]
    assert data.loc[2].tolist() == ["a@example.com", "34600000001", "2.5", "=1+1", ""]
    assert data.loc[4].tolist() == ["b@example.com", "600000002", "", "", ""]
    assert count_rows(path, fmt) == 2


def test_neutralize():
    for value in ["=cmd|' /C calc'!A0", "+34600", "-1", "@SUM(A1)", "\tx", "\rx", "\nx", "\0x"]:
        assert neutralize(value) == "'" + value
    assert neutralize("plain") == "plain"
    assert neutralize("") == ""
    assert neutralize("'=already") == "'=already"


def test_error_file_round_trip(tmp_path):
    """A failed row written to the error file and uploaded again reads back as the original cells."""
    source = write_text(
        tmp_path / "leads.csv",
        'Email,Phone,Notes\nbad@@x,+34600000001,=HYPERLINK("x")\nok@x.com,-5,"@home, ""quoted""\nline"\n',
    )
    fmt = inspect_file(source)
    original = read_all(source)
    error_path = tmp_path / "errors.csv"
    for chunk in iter_chunks(source, fmt, chunk_size=1):
        # Chunk by chunk, appending as the worker's error parts are, in the error file's format.
        new = not error_path.exists()
        with open(error_path, "a", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                handle.write("\ufeff")
                writer.writerow([*fmt.columns, "row_number", "error"])
            for number, row in chunk.iterrows():
                cells = [neutralize(cell) for cell in row[fmt.columns].tolist()]
                writer.writerow([*cells, number, neutralize("email is invalid; duplicate")])
    raw = error_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    with open(error_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Email", "Phone", "Notes", "row_number", "error"]
    assert rows[1] == ["bad@@x", "'+34600000001", '\'=HYPERLINK("x")', "2", "email is invalid; duplicate"]
    assert rows[2][1:4] == ["'-5", '\'@home, "quoted"\nline', "3"]

    again = inspect_file(error_path)
    assert again.encoding == "utf-8-sig"
    plan = plan_columns(again.header)
    assert plan.ignored == ["row_number", "error"]
    back = read_all(error_path)
    assert list(back.columns) == ["Email", "Phone", "Notes", ROW_ERROR]
    pd.testing.assert_frame_equal(back, original)


def test_unclosed_quote_at_the_end_is_an_upload_rejection(tmp_path):
    lines = "Email,Notes\n" + "".join(f"u{i}@x.com,n\n" for i in range(3000)) + 'z@x.com,"never closed\n'
    path = write_text(tmp_path / "leads.csv", lines)
    fmt = inspect_file(path)  # the sample looks fine
    with pytest.raises(UploadRejected, match="quote"):
        count_rows(path, fmt)
    with pytest.raises(UploadRejected, match="quote"):
        list(iter_chunks(path, fmt, chunk_size=1000))


def test_huge_cell(tmp_path):
    path = write_text(tmp_path / "leads.csv", "Email,Notes\na@x.com," + "x" * 300_000 + "\nb@x.com,short\n")
    data = read_all(path)
    assert len(data.loc[2, "Notes"]) == 300_000
    assert data.loc[3, "Notes"] == "short"


def test_crlf_and_cr_only_line_endings(tmp_path):
    for ending in ("\r\n", "\r"):
        path = write_bytes(tmp_path / "leads.csv", ending.join(["Email,Phone", "a@x.com,1", "b@x.com,2", ""]).encode())
        assert read_all(path)["Phone"].tolist() == ["1", "2"]


def test_xlsx_as_excel_writes_it(tmp_path):
    """Shared and rich-text strings, a header below an empty row and right of empty columns, a date,
    a boolean, error cells (read as empty by calamine), a stray cell left of the header, an empty styled row."""
    path = xlsx_from_xml(
        tmp_path / "leads.xlsx",
        '<row r="1"><c r="A1" t="e"><v>#REF!</v></c></row>'
        '<row r="2"><c r="C2" t="s"><v>0</v></c><c r="D2" t="s"><v>1</v></c><c r="E2" t="s"><v>2</v></c></row>'
        '<row r="3"><c r="C3" t="s"><v>3</v></c><c r="D3"><v>600000001</v></c><c r="E3" s="1"><v>45000</v></c>'
        '<c r="G3" t="e"><v>#N/A</v></c></row>'
        '<row r="4"><c r="B4" t="s"><v>4</v></c><c r="C4" t="str"><f>A1</f><v>x@y.com</v></c>'
        '<c r="D4" t="b"><v>1</v></c></row>'
        '<row r="5"><c r="C5" s="1"/></row>'
        '<row r="6"><c r="E6" t="e"><v>#DIV/0!</v></c></row>'
        '<row r="7"><c r="C7" t="inlineStr"><is><t>z@y.com</t></is></c><c r="F7"><v>1.5</v></c></row>',
        shared=[
            "Email",
            "<si><r><t>Pho</t></r><r><t>ne</t></r><rPh><t>ignored</t></rPh></si>",
            "Fecha",
            "a@x.com",
            "x",
        ],
    )
    fmt = inspect_file(path)
    assert (fmt.header, fmt.header_row) == (["", "", "Email", "Phone", "Fecha"], 2)
    assert fmt.columns == ["column_1", "column_2", "Email", "Phone", "Fecha"]
    data = read_all(path, chunk_size=2)
    assert data.to_numpy().tolist() == [
        ["", "", "a@x.com", "600000001", "2023-03-15", ""],
        ["", "x", "x@y.com", "TRUE", "", ""],
        ["", "", "z@y.com", "", "", "row has more cells than the header (5)"],
    ]
    assert list(data.index) == [3, 4, 7]
    assert count_rows(path, fmt) == 3
    assert list(pd.concat(iter_chunks(path, fmt, skip_rows=2)).index) == [7]
    # The first rows read from a copy of the sheet's beginning are the same cells (dates, errors, shared
    # and rich strings, the padding left of the header).
    for rows in (1, 2, 3, 10):
        head = first_rows(path, fmt, rows)
        assert head.equals(data.iloc[:rows]) and list(head.index) == list(data.index[:rows]), rows


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_first_rows_are_the_first_chunk(tmp_path, suffix):
    path = tmp_path / f"leads.{suffix}"
    (write_csv if suffix == "csv" else write_xlsx)(path, 500)
    fmt = inspect_file(path)
    for rows in (1, 20, 100, 1000):
        head = first_rows(path, fmt, rows)
        expected = next(iter_chunks(path, fmt, chunk_size=rows))
        assert head.equals(expected) and list(head.index) == list(expected.index)


def test_xlsx_error_file_round_trip(tmp_path):
    path = xlsx_from_xml(
        tmp_path / "fixed.xlsx",
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
        '<c r="D1" t="s"><v>3</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>a@x.com</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>\'+34600000001</t></is></c><c r="C2"><v>2</v></c>'
        '<c r="D2" t="inlineStr"><is><t>duplicate</t></is></c></row>',
        shared=["Email", "Phone", "row_number", "error"],
    )
    data = read_all(path)
    assert data.to_numpy().tolist() == [["a@x.com", "+34600000001", ""]]
    assert plan_columns(inspect_file(path).header).ignored == ["row_number", "error"]


def test_file_format_survives_json(tmp_path):
    path = xlsx_with_numbers(tmp_path / "leads.xlsx")
    fmt = inspect_file(path)
    assert FileFormat.from_dict(json.loads(json.dumps(fmt.to_dict()))) == fmt


def test_excel_separator_hint_line(tmp_path):
    path = write_text(tmp_path / "leads.csv", "sep=;\r\nEmail;Notes\r\na@x.com;one, two\r\nb@x.com;three\r\n", "cp1252")
    fmt = inspect_file(path)
    assert (fmt.delimiter, fmt.header, fmt.header_row) == (";", ["Email", "Notes"], 2)
    data = read_all(path)
    assert data.to_numpy().tolist() == [["a@x.com", "one, two", ""], ["b@x.com", "three", ""]]
    assert list(data.index) == [2, 3]
    assert count_rows(path, fmt) == 2
    assert list(pd.concat(iter_chunks(path, fmt, skip_rows=1)).index) == [3]
