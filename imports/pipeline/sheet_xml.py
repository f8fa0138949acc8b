"""Cheap, streamed looks into an XLSX's sheet XML that calamine would otherwise have to load whole.

calamine reads a whole sheet into memory (about 75 bytes a cell), which is right for the worker but
not for an upload request that only needs the header and the number of rows. These helpers inflate
the sheet part as a stream through expat, an XML parser (never regexes over markup: `</c >` and
`</row >` are valid XML), in time linear in the part's size, and stop as soon as they know the
answer. Callers have passed `inspect_xlsx`'s zip gate (sizes verified, no DTD); the row counter
refuses a DTD or an entity declaration itself too.
"""

from __future__ import annotations

import os
import posixpath
import zipfile
from collections.abc import Iterator
from typing import NoReturn
from xml.etree import ElementTree
from xml.parsers import expat

from python_calamine import CalamineWorkbook

from .fileformat import UploadRejected
from .rules import HEADER_SEARCH_ROWS, header_index

STREAM_BLOCK = 256 * 1024
BLOCK = 1024 * 1024
DEFAULT_SHEET = "xl/worksheets/sheet1.xml"
_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STRICT_RELATIONSHIP_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"


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
    try:
        workbook = CalamineWorkbook.from_path(os.fspath(path))
        return workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine raises several error types, all meaning "cannot read"
        raise UploadRejected(f"{label} is a damaged XLSX file and cannot be read ({error}).") from error


def first_sheet_name(path) -> str | None:
    """The name of the first worksheet (the one imported), as the workbook lists it."""
    try:
        names = CalamineWorkbook.from_path(os.fspath(path)).sheet_names
    except Exception:  # calamine raises several error types; inspection already vouched for the file
        return None
    return names[0] if names else None


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
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - DTDs refused by the zip gate
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
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(events=("end",))
    with archive.open(member) as stream:
        while block := stream.read(STREAM_BLOCK):
            parser.feed(block)
            for event in parser.read_events():
                element = event[-1]  # "end" events only: (event, Element)
                if isinstance(element, ElementTree.Element):
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

    The header is found among the first rows with a visible cell (a title and blank rows may sit above
    it) by `rules.header_index`; leading empty columns are kept (as empty names) so that column
    positions line up with the sheet's. (0, [], False) for a sheet with no rows.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            member = first_sheet_member(archive)
            shown_rows: list[tuple[int, dict]] = []
            more = False
            for number, cells in _rows(archive, member):
                shown = {column: raw for column, raw in cells.items() if raw[1] != "" and raw[0] != "e"}
                if not shown:
                    continue
                if len(shown_rows) >= HEADER_SEARCH_ROWS:
                    more = True
                    break
                shown_rows.append((number, shown))
            if not shown_rows:
                return 0, [], False
            wanted = {
                int(value) for _, raw in shown_rows for kind, value in raw.values() if kind == "s" and value.isdigit()
            }
            shared = _shared_strings(archive, wanted)
            texts = [_cells(raw, shared) for _, raw in shown_rows]
            index = header_index(texts)
            if index is None:
                rows = (
                    f"rows {shown_rows[0][0]}-{shown_rows[-1][0]}" if len(shown_rows) > 1 else f"row {shown_rows[0][0]}"
                )
                raise UploadRejected(
                    f"{label} has no header: none of the first rows of its first sheet ({rows}) names the "
                    "columns. Add a row naming the columns, e.g. First Name, Last Name, Email, Phone."
                )
            return shown_rows[index][0], texts[index], more or index + 1 < len(shown_rows)
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as error:
        raise UploadRejected(f"{label} is a damaged XLSX file and cannot be read ({error}).") from error


def _cells(raw: dict[int, tuple[str, str]], shared: dict[int, str]) -> list[str]:
    width = max(raw) + 1
    return [_cell_value(*raw[column], shared).strip() if column in raw else "" for column in range(width)]


def _row_counter(after_row: int):
    """expat callbacks (start, end, text) and a `count()` of the rows below `after_row` that show at
    least one character. A cell shows something when its <v> or inline <t> holds text; calamine reads
    error cells (t="e": #N/A, #DIV/0!) as empty, so a row only they fill is not a row (the worker skips
    it too). Closures over a few cells rather than methods: expat calls them for every element, and
    this is the cost of counting a sheet."""
    state = {"count": 0, "number": 0}
    error_cell = [False]
    in_value = [False]
    shown = [False]

    def start(name: str, attributes: dict) -> None:
        if ":" in name:  # a prefixed name (x:row); Excel writes the namespace as the default one
            name = name.rpartition(":")[2]
        if name == "c":
            error_cell[0] = attributes.get("t") == "e"
        elif name == "v" or name == "t":
            in_value[0] = not error_cell[0]
        elif name == "row":
            reference = attributes.get("r")
            state["number"] = int(reference) if reference and reference.isdigit() else state["number"] + 1
            shown[0] = False

    def end(name: str) -> None:
        in_value[0] = False
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "row" and shown[0] and state["number"] > after_row:
            state["count"] += 1

    def text(data: str) -> None:
        if in_value[0] and data:
            shown[0] = True

    return start, end, text, lambda: state["count"]


def refuse_dtd(*_args) -> NoReturn:
    raise UploadRejected("The file is not a safe XLSX file: its sheet declares a DTD or an entity.")


def count_shown_rows(path, *, after_row: int, sample_bytes: int | None = None) -> int:
    """Rows below `after_row` with at least one visible cell: the rows `read.iter_chunks` yields.
    With `sample_bytes`, an estimate: the rows of the sheet's first `sample_bytes` of XML, scaled to its size."""
    start, end, text, count = _row_counter(after_row)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd
    try:
        with zipfile.ZipFile(path) as archive, archive.open(first_sheet_member(archive)) as stream:
            read = 0
            while block := stream.read(BLOCK):
                parser.Parse(block, False)
                read += len(block)
                if sample_bytes is not None and read >= sample_bytes:
                    total = archive.getinfo(first_sheet_member(archive)).file_size
                    return round(count() * total / read)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise UploadRejected(f"The file is a damaged XLSX file and cannot be read ({error}).") from error
    return count()
