"""Can we read this CSV? Checked cheaply, before anything is stored.

The whole file must decode in the encoding picked here (pandas would otherwise hit a bad byte deep in
the file after earlier chunks were committed); the delimiter is detected and the header read from a
sample.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

from .fileformat import ENCODING_NAMES, FileFormat, UploadRejected, check_header, check_size
from .rules import HEADER_SEARCH_ROWS, header_index

BLOCK = 1024 * 1024
SAMPLE_BYTES = 64 * 1024
MAX_SAMPLE_BYTES = 16 * 1024 * 1024
SAMPLE_RECORDS = 200
DELIMITERS = (",", ";", "\t", "|")


# csv refuses fields over 128 KiB by default; a long notes cell in the sample is still a CSV.
csv.field_size_limit(max(csv.field_size_limit(), MAX_SAMPLE_BYTES))

EXCEL_SEPARATOR_HINT = re.compile(r"\A[ \t\r\n]*sep=([,;\t|])[ \t]*(?:\r\n|\r|\n)", re.IGNORECASE)


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


def _records(sample: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(spreadsheet row, cells) of the sample's records; blank lines are skipped (as pandas does) but
    counted, so the row is the one a spreadsheet shows."""
    records = []
    row = 0
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, strict=False):
            row += 1
            # Only lines pandas skips too (empty or whitespace); a row of empty cells is a row.
            if len(record) > 1 or (record and record[0].strip()):
                records.append((row, record))
            if len(records) >= SAMPLE_RECORDS:
                break
    except csv.Error:
        # A field longer than csv's limit, or a quote the sample cut: judge by what was read.
        pass
    return records


def _detect_delimiter(sample: str) -> tuple[str, list[tuple[int, list[str]]], int | None]:
    """Pick the delimiter whose header splits into several cells and whose rows agree with it most often;
    (delimiter, records, index of the header record)."""
    best: tuple[tuple[float, int, int], str, list, int | None] | None = None
    for priority, delimiter in enumerate(DELIMITERS):
        records = _records(sample, delimiter)
        if not records:
            continue
        index = header_index([cells for _, cells in records])
        if index is None:
            index = 0
        width = len(records[index][1])
        rows = records[index + 1 :]
        consistency = sum(len(cells) == width for _, cells in rows) / len(rows) if rows else 1.0
        score = (consistency if width > 1 else -1.0, width, -priority)
        if best is None or score > best[0]:
            best = (score, delimiter, records, index)
    if best is None:
        return ",", [], None
    return best[1], best[2], best[3]


def _no_header(label: str, records: list[tuple[int, list[str]]]) -> UploadRejected:
    looked = records[:HEADER_SEARCH_ROWS]
    lines = f"lines {looked[0][0]}-{looked[-1][0]}" if len(looked) > 1 else f"line {looked[0][0]}"
    return UploadRejected(
        f"{label} has no header: none of its first rows ({lines}) names the columns. "
        "Add a row naming the columns, e.g. First Name, Last Name, Email, Phone."
    )


def _sample_encoding(path, head: bytes, label: str) -> str:
    """The encoding judged on the first SAMPLE_BYTES only (the preview: bounded work whatever the size)."""
    encoding = _guess_encoding(head, label)
    if encoding != "utf-8":
        return encoding
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not merely a character the sample cut
            return "cp1252"
    return encoding


def inspect_csv(path, *, head: bytes, size: int, label: str, whole: bool = True) -> FileFormat:
    """`whole=False` (the preview) decodes only the sample: a bad byte further down is the upload's
    refusal, not the preview's."""
    check_size(kind="csv", size=size, label=label)
    head_stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head_stripped.startswith((b"<?xml", b"<!doctype html", b"<html")):
        raise UploadRejected(f"{label} is an XML/HTML document, not a CSV or XLSX file.")
    encoding = _choose_encoding(path, head, label) if whole else _sample_encoding(path, head, label)
    sample, complete = _read_sample(path, encoding, size)
    if not sample.strip():
        raise UploadRejected(f"{label} is empty.")
    control = sum(1 for char in sample if ord(char) < 32 and char not in "\t\r\n")
    if control > 0.01 * len(sample):
        raise UploadRejected(f"{label} contains binary data, not text: it is not a CSV file.")
    hint = EXCEL_SEPARATOR_HINT.match(sample)
    if hint:
        # Excel's "sep=;" first line names the delimiter and is no sheet row: the header is looked for
        # after it, and the rows a spreadsheet shows are numbered from there (data from row 2).
        delimiter = hint.group(1)
        records = _records(sample[hint.end() :], delimiter)
        index = header_index([cells for _, cells in records]) if records else None
    else:
        delimiter, records, index = _detect_delimiter(sample)
    if not records:
        raise UploadRejected(f"{label} has no header: no row with column names was found.")
    if index is None:
        raise _no_header(label, records)
    row, cells = records[index]
    header = [cell.strip() for cell in cells]
    check_header(header, label)
    if complete and len(records) <= index + 1:
        raise UploadRejected(f"{label} has a header row but no data rows.")
    return FileFormat(
        kind="csv",
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        # The file's line after a "sep=" line, as the contract's header_row; the data rows follow it.
        header_row=row + 1 if hint else row,
        first_row=row + 1,
        skip_records=index + (2 if hint else 1),
    )
