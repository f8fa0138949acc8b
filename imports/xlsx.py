"""Cheap, streamed looks into an XLSX that calamine would otherwise have to load whole.

calamine reads a whole sheet into memory (about 75 bytes a cell), which is right for the worker but
not for an upload request that only needs the header, nor for counting rows up front. These helpers
inflate the sheet part as a stream and stop as soon as they know the answer. Callers have already
passed `inspection._check_zip` (sizes verified, no DTD), so expat never sees an entity declaration.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

from imports.inspection import UploadRejected, cell_text

STREAM_BLOCK = 256 * 1024
BLOCK = 1024 * 1024
DEFAULT_SHEET = "xl/worksheets/sheet1.xml"
_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_RELATIONSHIP_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"

ROW_END = re.compile(rb"</(?:\w+:)?row>")
ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
# A cell shows something when a <v> or an inline <t> holds at least one character; calamine reads
# error cells (#N/A, #DIV/0!) as empty, so a row only they fill is not a row.
SHOWN_VALUE = re.compile(rb"<(?:\w+:)?(?:v|t)(?:\s[^>]*)?>[^<]")
CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
ERROR_CELL = re.compile(rb'\bt="e"')


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column_index(reference: str) -> int:
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + (ord(char.upper()) - 64)
    return index - 1


def first_sheet_member(archive: zipfile.ZipFile) -> str:
    """The zip member of the workbook's first sheet (workbook order, as Excel shows the tabs)."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - DTDs refused by _check_zip
        sheet = next(element for element in workbook.iter() if _local(element.tag) == "sheet")
        rel_id = sheet.get(f"{{{_RELATIONSHIP_NS}}}id") or sheet.get(f"{{{_STRICT_RELATIONSHIP_NS}}}id")
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
        target = next(element.get("Target") for element in rels.iter() if element.get("Id") == rel_id)
    except (KeyError, StopIteration, ElementTree.ParseError):
        return DEFAULT_SHEET
    if not target:
        return DEFAULT_SHEET
    member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return member if member in archive.namelist() else DEFAULT_SHEET


def _stream_events(archive: zipfile.ZipFile, member: str) -> Iterator[ElementTree.Element]:
    parser = ElementTree.XMLPullParser(events=("end",))
    with archive.open(member) as stream:
        while block := stream.read(STREAM_BLOCK):
            parser.feed(block)
            for _event, element in parser.read_events():
                yield element
    parser.close()


def _inline_text(element: ElementTree.Element) -> str:
    """Text of an <is> or <si>: its <t>, or the <t> of each rich-text run (phonetic runs left out)."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(grandchild.text or "" for grandchild in child if _local(grandchild.tag) == "t")
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, wanted: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    if not wanted or "xl/sharedStrings.xml" not in archive.namelist():
        return found
    index = 0
    last = max(wanted)
    for element in _stream_events(archive, "xl/sharedStrings.xml"):
        if _local(element.tag) != "si":
            continue
        if index in wanted:
            found[index] = _inline_text(element)
        element.clear()
        index += 1
        if index > last:
            break
    return found


def _raw_cell(cell: ElementTree.Element) -> tuple[str, str]:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = next((child for child in cell if _local(child.tag) == "is"), None)
        return kind, _inline_text(inline) if inline is not None else ""
    value = next((child.text or "" for child in cell if _local(child.tag) == "v"), "")
    return kind, value


def _cell_value(kind: str, value: str, shared: dict[int, str]) -> str:
    if kind == "s":
        return shared.get(int(value), "") if value.isdigit() else ""
    if kind == "b":
        return cell_text(value == "1")
    if kind == "n" and value:
        try:
            return cell_text(float(value))
        except ValueError:
            return value
    return value


def _rows(archive: zipfile.ZipFile, member: str) -> Iterator[tuple[int, dict[int, tuple[str, str]]]]:
    """(absolute row number, {column index: (cell type, raw value)}) for each <row> in order."""
    number = 0
    for element in _stream_events(archive, member):
        if _local(element.tag) != "row":
            continue
        number = int(element.get("r") or number + 1)
        cells: dict[int, tuple[str, str]] = {}
        column = -1
        for cell in element:
            if _local(cell.tag) != "c":
                continue
            reference = cell.get("r")
            column = _column_index(reference) if reference else column + 1
            cells[column] = _raw_cell(cell)
        element.clear()
        yield number, cells


def read_header(path, *, label: str = "The file") -> tuple[int, list[str], bool]:
    """(header row number, header cells from column A, whether a non-empty data row follows).

    The header is the first row with a visible cell, like calamine's range; leading empty columns are
    kept (as empty names) so that column positions line up with the sheet's.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            member = first_sheet_member(archive)
            header_row, header_raw = 0, None
            for number, cells in _rows(archive, member):
                shown = {column: raw for column, raw in cells.items() if raw[1] != "" and raw[0] != "e"}
                if header_raw is None:
                    if shown:
                        header_row, header_raw = number, shown
                    continue
                if shown:
                    return header_row, _header_cells(archive, header_raw), True
            if header_raw is None:
                return 0, [], False
            return header_row, _header_cells(archive, header_raw), False
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as error:
        raise UploadRejected(f"{label} is a damaged XLSX file and cannot be read ({error}).") from error


def _header_cells(archive: zipfile.ZipFile, raw: dict[int, tuple[str, str]]) -> list[str]:
    wanted = {int(value) for kind, value in raw.values() if kind == "s" and value.isdigit()}
    shared = _shared_strings(archive, wanted)
    width = max(raw) + 1
    return [_cell_value(*raw[column], shared).strip() if column in raw else "" for column in range(width)]


def _shows_something(row: bytes) -> bool:
    if not SHOWN_VALUE.search(row):
        return False
    if b't="e"' not in row:
        return True
    return any(
        body and SHOWN_VALUE.search(body) and not ERROR_CELL.search(attributes)
        for attributes, body in CELL.findall(row)
    )


def count_shown_rows(path, *, after_row: int) -> int:
    """Rows below `after_row` with at least one visible cell, counted on the raw XML without parsing it.

    The sheet is split at each `</row>`: every piece but the last ends one row (self-closing empty
    rows before it show nothing, so they cannot make a piece count).
    """
    count = 0
    number = 0
    past_header = after_row <= 0
    with zipfile.ZipFile(path) as archive, archive.open(first_sheet_member(archive)) as stream:
        pending = b""
        while True:
            block = stream.read(BLOCK)
            pieces = ROW_END.split(pending + block)
            pending = pieces.pop()
            for piece in pieces:
                if not past_header:
                    found = ROW_NUMBER.findall(piece)
                    number = int(found[-1]) if found else number + 1
                    past_header = number > after_row
                    if not past_header:
                        continue
                if _shows_something(piece):
                    count += 1
            if not block:
                return count
