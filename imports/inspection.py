"""What kind of lead file is this, and can we read it? Answered cheaply, before anything is stored.

`inspect_file` looks at the content, never the name: a PNG renamed `.csv` is a PNG. For a CSV it
checks the whole file decodes in the encoding it picks (pandas would otherwise hit a bad byte deep in
the file after earlier chunks were committed), detects the delimiter and reads the header. For an
XLSX it gates on the zip's central directory and on the real inflated sizes before calamine, which
reads a whole sheet into memory, ever sees the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import asdict, dataclass
from typing import Literal

from django.conf import settings

BLOCK = 1024 * 1024
SAMPLE_BYTES = 64 * 1024
MAX_SAMPLE_BYTES = 16 * 1024 * 1024
SAMPLE_RECORDS = 200
DELIMITERS = (",", ";", "\t", "|")
MAX_XLSX_MEMBERS = 10_000
# Small parts (styles, themes) legitimately compress very well; only big ones can be bombs.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024

# csv refuses fields over 128 KiB by default; a long notes cell in the sample is still a CSV.
csv.field_size_limit(max(csv.field_size_limit(), MAX_SAMPLE_BYTES))

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
}

# (magic bytes, what a person would call it). Checked before anything is decoded.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old-style Excel .xls (or other Office 97-2003 / password-protected) file",
    ),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"{\\rtf", "an RTF document"),
)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
RIFF_MAGIC = b"RIFF"

EXCEL_SEPARATOR_HINT = re.compile(r"\A[ \t\r\n]*sep=([,;\t|])[ \t]*(?:\r\n|\r|\n)", re.IGNORECASE)
EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]{7,}$")


class UploadRejected(Exception):
    """A file (or its mapping) that cannot be imported; `status_code` is 413 for size limits, else 422."""

    def __init__(self, message: str, *, field: str = "file", status_code: int = 422):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Keep field and status code when pickled (e.g. by Celery between processes).
        return (_rebuild_rejection, (self.message, self.field, self.status_code))


def _rebuild_rejection(message: str, field: str, status_code: int) -> UploadRejected:
    return UploadRejected(message, field=field, status_code=status_code)


@dataclass(frozen=True)
class FileFormat:
    kind: Literal["csv", "xlsx"]
    encoding: str | None  # csv: "utf-8" | "utf-8-sig" | "utf-16" | "utf-16-le" | "utf-16-be" | "cp1252"
    delimiter: str | None  # csv: "," ";" "\t" "|"
    header: list[str]  # the header cells as in the file, stripped
    # xlsx: the sheet row holding the header (the first row with a visible cell); csv: the record
    # holding it (2 after Excel's "sep=;" line, else 1). Data rows are still numbered from 2 in a CSV.
    header_row: int = 1

    @property
    def columns(self) -> list[str]:
        """The DataFrame column names `reader.iter_chunks` yields: the header made unique."""
        from imports.headers import unique_columns

        return unique_columns(self.header)

    @property
    def encoding_name(self) -> str | None:
        return ENCODING_NAMES.get(self.encoding or "", self.encoding)

    def to_dict(self) -> dict:
        """JSON-ready, e.g. for ImportFile.options, so a resumed worker reads the file the same way."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FileFormat:
        return cls(
            **{name: data[name] for name in ("kind", "encoding", "delimiter", "header") if name in data},
            header_row=data.get("header_row", 1),
        )


def _limit(name: str) -> int:
    return int(getattr(settings, name))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def inspect_file(path: str | os.PathLike, *, name: str = "") -> FileFormat:
    """Detect the real type, encoding, delimiter and header of an uploaded lead file, or raise UploadRejected."""
    size = os.path.getsize(path)
    label = f"'{name}'" if name else "The file"
    if size == 0:
        raise UploadRejected(f"{label} is empty.")
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)

    if head.startswith(ZIP_MAGIC):
        return _inspect_xlsx(path, size=size, label=label)
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            raise UploadRejected(
                f"{label} is {what}, not a CSV or XLSX file. Save it as .xlsx or CSV and upload it again."
            )
    if head.startswith(RIFF_MAGIC):
        raise UploadRejected(f"{label} is an image or media file, not a CSV or XLSX file.")
    return _inspect_csv(path, head=head, size=size, label=label)


# --- CSV ------------------------------------------------------------------------------------------


def _guess_encoding(head: bytes, label: str) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if b"\x00" in sample:
        # UTF-16 without a BOM: ASCII text leaves every other byte NUL.
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
        raise UploadRejected(f"{label} contains binary data, not text: it is not a CSV file.")
    return "utf-8"


def _line_of(decoded_newlines: int, prefix: str) -> int:
    return decoded_newlines + prefix.count("\n") + (prefix.count("\r") if "\n" not in prefix else 0) + 1


def _check_decodes(path, encoding: str, label: str) -> tuple[bool, int]:
    """Decode the whole file in 1 MiB blocks: (ok, line of the first bad byte). Holds one block at a time."""
    scan_codec = "utf-8" if encoding == "utf-8-sig" else encoding
    # Bytes before a bad one are re-decoded to count lines; past the BOM that needs the byte order.
    prefix_codec = scan_codec
    if encoding in ("utf-16", "utf-32"):
        with open(path, "rb") as handle:
            start = handle.read(4)
        big_endian = start.startswith(codecs.BOM_UTF16_BE if encoding == "utf-16" else codecs.BOM_UTF32_BE)
        prefix_codec = f"{encoding}-{'be' if big_endian else 'le'}"
    decoder = codecs.getincrementaldecoder(scan_codec)("strict")
    newlines = 0
    with open(path, "rb") as handle:
        if encoding == "utf-8-sig":
            handle.read(len(codecs.BOM_UTF8))
        while True:
            block = handle.read(BLOCK)
            final = not block
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as error:
                data = pending + block
                prefix = data[: error.start].decode(prefix_codec, "replace")
                return False, _line_of(newlines, prefix)
            if "\x00" in text:
                line = _line_of(newlines, text[: text.index("\x00")])
                raise UploadRejected(f"{label} contains binary data (a NUL byte) on line {line}: it is not a CSV file.")
            newlines += text.count("\n")
            if final:
                return True, 0


def _mostly_utf8(path) -> bool:
    """Whether most non-ASCII characters decode as UTF-8: then the file is UTF-8 with a few broken
    bytes (refused, naming the line), not Windows-1252 text that would come out garbled."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    good = bad = 0
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            text = decoder.decode(block)
            if text.isascii():
                continue
            broken = text.count("\ufffd")
            bad += broken
            good += len(text) - len(text.encode("ascii", "ignore")) - broken
    return good > bad


def _choose_encoding(path, head: bytes, label: str) -> str:
    encoding = _guess_encoding(head, label)
    ok, line = _check_decodes(path, encoding, label)
    if ok:
        return encoding
    if encoding == "utf-8" and not _mostly_utf8(path):
        # Its non-ASCII bytes are not UTF-8: a legacy Windows/Latin-1 export.
        ok, line = _check_decodes(path, "cp1252", label)
        if ok:
            return "cp1252"
        encoding = "cp1252"
    raise UploadRejected(
        f"{label} is not readable text: line {line} is not valid {ENCODING_NAMES[encoding]}. "
        "Save it as UTF-8 CSV and upload it again."
    )


def _read_sample(path, encoding: str, size: int) -> tuple[str, bool]:
    """The first SAMPLE_BYTES decoded; the flag says whether that is the whole file."""
    with open(path, "rb") as handle:
        raw = handle.read(SAMPLE_BYTES)
        # A very wide header (hundreds of long names) may not fit: read on until a few lines do.
        while len(raw) < min(size, MAX_SAMPLE_BYTES) and raw.count(b"\n") + raw.count(b"\r") < 4:
            raw += handle.read(len(raw))
    complete = len(raw) >= size
    decoder = codecs.getincrementaldecoder("utf-8" if encoding == "utf-8-sig" else encoding)("replace")
    text = decoder.decode(raw, final=complete)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not complete:
        # Drop the last line, which the sample may have cut in the middle.
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[:cut]
    return text, complete


def _records(sample: str, delimiter: str) -> list[list[str]]:
    records = []
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=False):
            # Only lines pandas skips too (empty or whitespace); a row of empty cells is a row.
            if len(record) > 1 or (record and record[0].strip()):
                records.append(record)
            if len(records) >= SAMPLE_RECORDS:
                break
    except csv.Error:
        # A field longer than csv's limit, or a quote the sample cut: judge by what was read.
        pass
    return records


def _detect_delimiter(sample: str) -> tuple[str, list[list[str]]]:
    """Pick the delimiter whose header splits into several cells and whose rows agree with it most often."""
    best: tuple[tuple[float, int, int], str, list[list[str]]] | None = None
    for priority, delimiter in enumerate(DELIMITERS):
        records = _records(sample, delimiter)
        if not records:
            continue
        width = len(records[0])
        rows = records[1:]
        consistency = sum(len(row) == width for row in rows) / len(rows) if rows else 1.0
        score = (consistency if width > 1 else -1.0, width, -priority)
        if best is None or score > best[0]:
            best = (score, delimiter, records)
    if best is None:
        return ",", []
    return best[1], best[2]


def _check_header(header: list[str], label: str) -> None:
    if not any(header):
        raise UploadRejected(f"{label} has no header: its first row is empty. The first row must name the columns.")
    max_columns = _limit("IMPORT_MAX_COLUMNS")
    if len(header) > max_columns:
        raise UploadRejected(f"{label} has {len(header)} columns; at most {max_columns} are accepted.")
    for cell in header:
        if EMAIL_LIKE.match(cell) or (PHONE_LIKE.match(cell) and sum(c.isdigit() for c in cell) >= 7):
            raise UploadRejected(
                f"{label} has no header: its first row holds data ('{cell[:60]}'). "
                "Add a first row naming the columns, e.g. First Name, Last Name, Email, Phone."
            )


def _inspect_csv(path, *, head: bytes, size: int, label: str) -> FileFormat:
    max_bytes = _limit("IMPORT_MAX_CSV_BYTES")
    if size > max_bytes:
        raise UploadRejected(
            f"{label} is larger than the {_megabytes(max_bytes)} limit for CSV files.", status_code=413
        )
    head_stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head_stripped.startswith((b"<?xml", b"<!doctype html", b"<html")):
        raise UploadRejected(f"{label} is an XML/HTML document, not a CSV or XLSX file.")
    encoding = _choose_encoding(path, head, label)
    sample, complete = _read_sample(path, encoding, size)
    if not sample.strip():
        raise UploadRejected(f"{label} is empty.")
    control = sum(1 for char in sample if ord(char) < 32 and char not in "\t\r\n")
    if control > 0.01 * len(sample):
        raise UploadRejected(f"{label} contains binary data, not text: it is not a CSV file.")
    header_row = 1
    hint = EXCEL_SEPARATOR_HINT.match(sample)
    if hint:
        # Excel's "sep=;" first line names the delimiter; the header is the record after it.
        delimiter, header_row = hint.group(1), 2
        records = _records(sample[hint.end() :], delimiter)
    else:
        delimiter, records = _detect_delimiter(sample)
    if not records:
        raise UploadRejected(f"{label} has no header: no row with column names was found.")
    header = [cell.strip() for cell in records[0]]
    _check_header(header, label)
    if complete and len(records) < 2:
        raise UploadRejected(f"{label} has a header row but no data rows.")
    return FileFormat(kind="csv", encoding=encoding, delimiter=delimiter, header=header, header_row=header_row)


# --- XLSX -----------------------------------------------------------------------------------------

LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
FORBIDDEN_XML = tuple(
    marker.encode(codec) for marker in ("<!DOCTYPE", "<!ENTITY") for codec in ("ascii", "utf-16-le", "utf-16-be")
)
MARKER_OVERLAP = max(len(marker) for marker in FORBIDDEN_XML) - 1


def _zip_kind(names: set[str]) -> str | None:
    if "xl/workbook.xml" in names:
        return None
    if "xl/workbook.bin" in names:
        return "a binary Excel workbook (.xlsb)"
    if "mimetype" in names and "content.xml" in names:
        return "an OpenDocument file (.ods)"
    if "word/document.xml" in names:
        return "a Word document"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    return "a ZIP archive"


class _PartScanner:
    """Looks through an XML part as it inflates: DTD/entity declarations (refused) and, in a worksheet, cells."""

    def __init__(self, filename: str, label: str):
        self.filename = filename
        self.label = label
        self.is_xml = filename.endswith((".xml", ".rels", ".vml"))
        self.is_sheet = self.is_xml and filename.startswith("xl/worksheets/")
        self.markers: tuple[bytes, ...] | None = None
        self.cells = 0
        self._carry = b""

    def feed(self, output: bytes) -> None:
        if not self.is_xml or not output:
            return
        window = self._carry + output
        if self.markers is None:
            # Excel writes UTF-8; a UTF-16 part is looked at in UTF-16.
            codec = "ascii"
            if window.startswith(codecs.BOM_UTF16_LE) or window[1:2] == b"\x00":
                codec = "utf-16-le"
            elif window.startswith(codecs.BOM_UTF16_BE) or window[:1] == b"\x00":
                codec = "utf-16-be"
            self.markers = tuple(marker.encode(codec) for marker in ("<!DOCTYPE", "<!ENTITY"))
            self._opening = "<!".encode(codec)
        # The whole part, not just its start: a long comment could push a DTD far down. "<!" is rare
        # in a sheet (comments, CDATA), so one search usually settles a block.
        if self._opening in window and any(marker in window for marker in self.markers):
            raise UploadRejected(
                f"{self.label} is not a safe XLSX file: it declares a DTD or an external entity ({self.filename})."
            )
        if self.is_sheet:
            # Cells wholly inside the carried bytes were counted with the previous block.
            self.cells += sum(window.count(tag) - self._carry.count(tag) for tag in (b"<c ", b"<c>"))
        self._carry = window[-MARKER_OVERLAP:]


def _inflate_checked(handle, info: zipfile.ZipInfo, label: str) -> int:
    """Inflate one member ourselves, counting real output: declared sizes in a zip can lie.

    Returns how many cells a worksheet part holds (0 for other parts).
    """
    handle.seek(info.header_offset)
    fields = LOCAL_HEADER.unpack(handle.read(LOCAL_HEADER.size))
    if fields[0] != b"PK\x03\x04":
        raise UploadRejected(f"{label} is a damaged XLSX file.")
    handle.seek(fields[9] + fields[10], os.SEEK_CUR)
    if info.compress_type == zipfile.ZIP_STORED:
        inflate = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-15)
    else:
        raise UploadRejected(f"{label} uses an unsupported zip compression; save it again from Excel.")
    bomb = UploadRejected(f"{label} is not a safe XLSX file: a part inflates beyond the size it declares (zip bomb).")
    scanner = _PartScanner(info.filename, label)
    remaining = info.compress_size
    produced = 0
    while remaining > 0 and not (inflate and inflate.eof):
        data = handle.read(min(BLOCK, remaining))
        if not data:
            raise UploadRejected(f"{label} is a damaged XLSX file (truncated).")
        remaining -= len(data)
        output = inflate.decompress(data, BLOCK) if inflate else data
        while True:
            produced += len(output)
            if produced > info.file_size:
                raise bomb
            scanner.feed(output)
            if not inflate or not inflate.unconsumed_tail:
                break
            output = inflate.decompress(inflate.unconsumed_tail, BLOCK)
    if inflate:
        rest = inflate.flush()
        if produced + len(rest) > info.file_size:
            raise bomb
        scanner.feed(rest)
    return scanner.cells


def _check_zip(path, *, label: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UploadRejected(f"{label} is a damaged ZIP/XLSX file and cannot be read.") from error
    kind = _zip_kind({info.filename for info in members})
    if kind:
        raise UploadRejected(f"{label} is {kind}, not an XLSX workbook. Save it as .xlsx or CSV and upload it again.")
    if len(members) > MAX_XLSX_MEMBERS:
        raise UploadRejected(f"{label} is not a safe XLSX file: it holds {len(members)} parts.")
    max_total = _limit("IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES")
    max_ratio = _limit("IMPORT_MAX_XLSX_RATIO")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise UploadRejected(f"{label} is encrypted; remove the password and upload it again.")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_FROM_BYTES and ratio > max_ratio:
            raise UploadRejected(
                f"{label} is not a safe XLSX file: {info.filename} inflates {ratio:.0f} times (zip bomb)."
            )
    if total > max_total:
        raise UploadRejected(
            f"{label} inflates to {_megabytes(total)}, more than the {_megabytes(max_total)} an XLSX may hold; "
            "split it or upload it as CSV."
        )
    max_cells = _limit("IMPORT_MAX_XLSX_CELLS")
    with open(path, "rb") as handle:
        for info in members:
            if info.is_dir():
                continue
            cells = _inflate_checked(handle, info, label)
            if cells > max_cells:
                # calamine peaks near 100 bytes a cell while it loads a sheet.
                raise UploadRejected(
                    f"{label} has about {cells:,} cells in one sheet; at most {max_cells:,} are accepted. "
                    "Split it or upload it as CSV."
                )


def cell_text(value) -> str:
    """One calamine cell as the text a person sees: 34600000000.0 is a phone, not a float."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    isoformat = getattr(value, "isoformat", None)
    if isoformat:
        # A datetime at midnight is how Excel stores a date.
        if hasattr(value, "hour") and hasattr(value, "date") and not (value.hour or value.minute or value.second):
            return value.date().isoformat()
        return isoformat()
    return str(value)


def open_first_sheet(path, *, label: str = "The file"):
    """The first worksheet loaded by calamine, which reads it whole (the zip gate has bounded its size)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(os.fspath(path))
        return workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine raises several error types, all meaning "cannot read"
        raise UploadRejected(f"{label} is a damaged XLSX file and cannot be read ({error}).") from error


def _check_workbook(path, *, label: str) -> None:
    """calamine opens the workbook (not yet the sheet: that is the worker's job) and finds a worksheet first."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        sheets = CalamineWorkbook.from_path(os.fspath(path)).sheets_metadata
    except Exception as error:  # calamine raises several error types, all meaning "cannot read"
        raise UploadRejected(f"{label} is a damaged XLSX file and cannot be read ({error}).") from error
    if not sheets:
        raise UploadRejected(f"{label} has no sheets.")
    if sheets[0].typ != SheetTypeEnum.WorkSheet:
        raise UploadRejected(
            f"{label}: its first sheet ('{sheets[0].name}') is not a table of cells; move the leads first."
        )


def _inspect_xlsx(path, *, size: int, label: str) -> FileFormat:
    max_bytes = _limit("IMPORT_MAX_XLSX_BYTES")
    if size > max_bytes:
        raise UploadRejected(
            f"{label} is larger than the {_megabytes(max_bytes)} limit for XLSX files.", status_code=413
        )
    _check_zip(path, label=label)
    _check_workbook(path, label=label)
    from imports.xlsx import read_header

    header_row, header, has_data = read_header(path, label=label)
    if not header:
        raise UploadRejected(f"{label} is empty: its first sheet has no rows.")
    _check_header(header, label)
    if not has_data:
        raise UploadRejected(f"{label} has a header row but no data rows.")
    return FileFormat(kind="xlsx", encoding=None, delimiter=None, header=header, header_row=header_row)
