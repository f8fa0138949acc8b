import io
import random
import string
import zipfile

import pytest

from bench.leadgen import HEADER, XLSX_PARTS, write_csv, write_xlsx
from imports.pipeline.fileformat import FileFormat, UploadRejected, UploadTooLarge
from imports.pipeline.inspect import inspect_file
from tests.imports.files import PNG_BYTES, compressible, write_bytes, write_text, xlsx_bytes, zip_declaring


def rejected(path, **kwargs) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        inspect_file(path, **kwargs)
    return caught.value


def test_generated_csv_and_xlsx(tmp_path):
    write_csv(tmp_path / "leads.csv", 20)
    write_xlsx(tmp_path / "leads.xlsx", 20)
    assert inspect_file(tmp_path / "leads.csv") == FileFormat("csv", "utf-8", ",", HEADER)
    assert inspect_file(tmp_path / "leads.xlsx") == FileFormat("xlsx", None, None, HEADER)


def test_png_renamed_csv_is_refused_by_content(tmp_path):
    error = rejected(write_bytes(tmp_path / "leads.csv", PNG_BYTES), name="leads.csv")
    assert error.status_code == 422
    assert error.field == "file"
    assert "'leads.csv' is a PNG image" in error.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n...", "a PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "gzip"),
        (b"<?xml version='1.0'?><Workbook/>", "XML/HTML"),
        (b"Email\n\x00\x01\x02\x03\x04binary\x00\x00stuff", "binary"),
    ],
)
def test_other_binary_formats_are_named(tmp_path, data, expected):
    assert expected in rejected(write_bytes(tmp_path / "leads.csv", data)).message


def test_zip_that_is_not_a_workbook(tmp_path):
    with zipfile.ZipFile(tmp_path / "leads.xlsx", "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "a Word document, not an XLSX workbook" in rejected(tmp_path / "leads.xlsx").message
    with zipfile.ZipFile(tmp_path / "plain.xlsx", "w") as archive:
        archive.writestr("readme.txt", "hi")
    assert "a ZIP archive, not an XLSX workbook" in rejected(tmp_path / "plain.xlsx").message


def test_damaged_zip(tmp_path):
    data = xlsx_bytes([["Email"], ["a@example.com"]])
    assert "damaged" in rejected(write_bytes(tmp_path / "leads.xlsx", data[: len(data) // 2])).message


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_files(tmp_path, content):
    assert "is empty" in rejected(write_bytes(tmp_path / "leads.csv", content)).message


def test_header_only(tmp_path):
    error = rejected(write_text(tmp_path / "leads.csv", "First Name,Email,Phone\n\n"))
    assert error.message == "The file has a header row but no data rows."
    write_bytes(tmp_path / "leads.xlsx", xlsx_bytes([["Email", "Phone"]]))
    assert "no data rows" in rejected(tmp_path / "leads.xlsx").message


def test_first_row_of_data_is_not_a_header(tmp_path):
    error = rejected(write_text(tmp_path / "leads.csv", "ana@example.com,+34600000001\nluis@example.com,600\n"))
    assert "no header" in error.message
    assert "ana@example.com" in error.message


def test_blank_header_row(tmp_path):
    assert "first row is empty" in rejected(write_text(tmp_path / "leads.csv", ",,\na@x.com,1,2\n")).message


def test_too_many_columns(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 5
    header = ",".join(f"c{i}" for i in range(6))
    error = rejected(write_text(tmp_path / "leads.csv", f"{header}\n1,2,3,4,5,6\n"))
    assert error.status_code == 422
    assert "6 columns; at most 5" in error.message


def test_size_limits_answer_413(tmp_path, settings):
    settings.IMPORT_MAX_CSV_BYTES = 100
    settings.IMPORT_MAX_XLSX_BYTES = 100
    write_csv(tmp_path / "leads.csv", 5)
    write_xlsx(tmp_path / "leads.xlsx", 5)
    for name in ("leads.csv", "leads.xlsx"):
        error = rejected(tmp_path / name)
        assert error.status_code == 413
        assert "limit" in error.message


def test_utf16_with_semicolons(tmp_path):
    text = "Nombre;Correo;Teléfono\r\nMaría;maria@example.com;+34600000001\r\n"
    fmt = inspect_file(write_text(tmp_path / "leads.csv", "\ufeff" + text, "utf-16-le"))
    assert (fmt.encoding, fmt.delimiter, fmt.header) == ("utf-16", ";", ["Nombre", "Correo", "Teléfono"])
    fmt = inspect_file(write_text(tmp_path / "nobom.csv", text, "utf-16-le"))
    assert (fmt.encoding, fmt.delimiter) == ("utf-16-le", ";")


def test_windows_1252_with_semicolons(tmp_path):
    text = "Nombre;Correo;Teléfono;Población\nJosé;jose@example.com;600000001;Málaga €\n"
    fmt = inspect_file(write_text(tmp_path / "leads.csv", text, "cp1252"))
    assert (fmt.encoding, fmt.delimiter) == ("cp1252", ";")
    assert fmt.header == ["Nombre", "Correo", "Teléfono", "Población"]
    assert fmt.encoding_name == "Windows-1252"


def test_utf8_with_bom(tmp_path):
    fmt = inspect_file(write_text(tmp_path / "leads.csv", "\ufeffEmail,Phone\na@example.com,1\n"))
    assert (fmt.encoding, fmt.header) == ("utf-8-sig", ["Email", "Phone"])


def test_bad_byte_deep_in_a_utf8_file_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr("imports.pipeline.inspect_csv.BLOCK", 64)  # the bad byte lands many blocks in
    lines = ["Email,Name"] + [f"user{i}@example.com,José" for i in range(200)]
    data = ("\n".join(lines) + "\n").encode() + b"late@example.com,\xff\xfe\n"
    error = rejected(write_bytes(tmp_path / "leads.csv", data))
    assert "line 202 is not valid UTF-8" in error.message


def test_byte_undefined_in_windows_1252(tmp_path):
    data = b"Email,Name\na@example.com,Jos\xe9\nb@example.com,\x81\n"
    assert "line 3 is not valid Windows-1252" in rejected(write_bytes(tmp_path / "leads.csv", data)).message


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "leads.tsv"), ("|", "leads.txt"), (";", "x.csv"), (",", "y")])
def test_delimiters(tmp_path, delimiter, name):
    rows = [["First Name", "Email", "Notes"], ["Ana", "ana@example.com", "likes, commas; and | pipes"]] + [
        [f"N{i}", f"n{i}@example.com", f"note {i}"] for i in range(5)
    ]
    text = "\n".join(delimiter.join(f'"{c}"' if any(d in c for d in ",;|\t") else c for c in row) for row in rows)
    fmt = inspect_file(write_text(tmp_path / name, text + "\n"))
    assert fmt.delimiter == delimiter
    assert fmt.header == ["First Name", "Email", "Notes"]


def test_single_column_file(tmp_path):
    fmt = inspect_file(write_text(tmp_path / "leads.csv", "Email\na@example.com\nb@example.com\n"))
    assert fmt.header == ["Email"]


def test_quoted_newline_in_header(tmp_path):
    fmt = inspect_file(write_text(tmp_path / "leads.csv", 'Email,"Job\nTitle"\na@example.com,CEO\n'))
    assert fmt.header == ["Email", "Job\nTitle"]


def test_xlsx_zip_bomb_declared_size(tmp_path):
    # 1.5 MB-style bomb in miniature: a small member declaring a huge inflated size.
    path = zip_declaring(
        tmp_path / "bomb.xlsx", member="xl/media/big.xml", payload=compressible(2_000_000), declared_size=500 * 2**20
    )
    error = rejected(path)
    assert error.status_code == 422
    assert "zip bomb" in error.message


def test_xlsx_highly_compressible_member(tmp_path):
    write_bytes(
        tmp_path / "bomb.xlsx",
        xlsx_bytes([["Email"], ["a@x.com"]], extra_parts={"xl/big.xml": compressible(5_000_000)}),
    )
    assert "inflates" in rejected(tmp_path / "bomb.xlsx").message


def test_xlsx_member_lying_about_its_size(tmp_path):
    path = zip_declaring(
        tmp_path / "liar.xlsx",
        member="xl/extra.xml",
        payload=b"<x>" + bytes(range(256)) * 50 + b"</x>",
        declared_size=100,
    )
    assert "inflates beyond the size it declares" in rejected(path).message


def test_xlsx_total_uncompressed_limit(tmp_path, settings):
    settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = 10_000
    write_xlsx(tmp_path / "leads.xlsx", 200)
    assert "inflates to" in rejected(tmp_path / "leads.xlsx").message


def test_xlsx_external_entity_refused(tmp_path):
    doctype = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    write_bytes(tmp_path / "xxe.xlsx", xlsx_bytes([["Email"], ["a@x.com"]], sheet_prefix=doctype))
    error = rejected(tmp_path / "xxe.xlsx")
    assert "external entity" in error.message


def test_xlsx_number_cells_in_header_are_text(tmp_path):
    write_bytes(tmp_path / "leads.xlsx", xlsx_bytes([["Email", "2024"], ["a@example.com", "x"]]))
    assert inspect_file(tmp_path / "leads.xlsx").header == ["Email", "2024"]


def test_utf8_file_whose_first_accent_is_broken_is_not_taken_for_windows_1252(tmp_path):
    data = b"Email,Name\na@example.com,Jos\xe9\n" + "b@example.com,Núñez Peña\n".encode() * 5
    assert "line 2 is not valid UTF-8" in rejected(write_bytes(tmp_path / "leads.csv", data)).message


def test_very_wide_header(tmp_path):
    long_name = "Column with a rather long and very descriptive name for the sake of this test number"
    header = [f"{long_name} {i}" for i in range(900)] + ["Email"]
    assert len(",".join(header)) > 64 * 1024
    path = write_text(tmp_path / "leads.csv", ",".join(header) + "\n" + ",".join(["x"] * 900 + ["a@x.com"]) + "\n")
    assert inspect_file(path).header == header


def test_xlsx_cell_limit(tmp_path, settings):
    write_xlsx(tmp_path / "leads.xlsx", 10)  # 11 rows x 8 cells
    settings.IMPORT_MAX_XLSX_CELLS = 88
    assert inspect_file(tmp_path / "leads.xlsx").header == HEADER
    settings.IMPORT_MAX_XLSX_CELLS = 87
    assert "88 cells in one sheet; at most 87" in rejected(tmp_path / "leads.xlsx").message


def test_rejection_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(UploadTooLarge("too big", field="file")))  # noqa: S301 - our own bytes
    assert (error.message, error.field, error.status_code, str(error)) == ("too big", "file", 413, "too big")


def test_xlsx_with_a_broken_workbook_part(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in XLSX_PARTS.items():
            archive.writestr(name, "<workbook><sheets><sheet" if name == "xl/workbook.xml" else content)
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData/></worksheet>")
    error = rejected(write_bytes(tmp_path / "leads.xlsx", buffer.getvalue()))
    assert error.status_code == 422
    assert "cannot be read" in error.message or "no sheets" in error.message


def test_xlsx_entity_hidden_behind_a_long_comment(tmp_path):
    padding = "".join(random.Random(0).choices(string.ascii_letters, k=200_000)).encode()
    hidden = b"<!--" + padding + b'-->\n<!DOCTYPE x [<!ENTITY e SYSTEM "http://evil/">]>'
    write_bytes(tmp_path / "xxe.xlsx", xlsx_bytes([["Email"], ["a@x.com"]], sheet_prefix=hidden))
    assert "external entity" in rejected(tmp_path / "xxe.xlsx").message


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_broken_utf16_names_the_line(tmp_path, codec):
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    lone_surrogate = b"\x00\xd8" if codec.endswith("le") else b"\xd8\x00"
    data = bom + "Email;Name\r\na@x.com;Ana\r\nb@x.com;".encode(codec) + lone_surrogate + "x\r\n".encode(codec)
    assert "line 3 is not valid UTF-16" in rejected(write_bytes(tmp_path / "leads.csv", data)).message
