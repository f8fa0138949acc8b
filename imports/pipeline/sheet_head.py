"""The first rows of a workbook as a workbook of their own, so calamine reads only those.

calamine loads a whole sheet (and every shared string) at once: right for the worker, not for what needs
only the first rows (the preview, the content sample of the column plan). `write_sheet_head` copies
the workbook with its first sheet cut after a number of rows below the header and its shared strings
cut after the last one those rows use. calamine then reads the copy exactly as it would read the file
(styles, dates, numbers, inline and rich strings alike), in memory bounded by the rows kept. The sheet
and the strings stream through expat to a file on disk; the cut is made at the byte where a row (a
string) ends, so the copy is the file's own XML up to there, then the closing tags. Callers have
passed `inspect_xlsx`'s zip gate (sizes verified, no DTD).
"""

from __future__ import annotations

import shutil
import zipfile
from xml.parsers import expat

from .fileformat import UploadRejected
from .sheet_xml import BLOCK, first_sheet_member, refuse_dtd

SHARED_STRINGS = "xl/sharedStrings.xml"
EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'
)


class _Cut(Exception):
    """Raised from an expat callback once the part is cut: nothing further is parsed."""


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _Cutter:
    """Streams one XML part to `target`, stopping after the element `done()` says is the last one kept.

    `opened` records the qualified names of the open elements, so the copy closes them (`</sheetData>`,
    `</worksheet>`, in whatever prefix the file uses)."""

    def __init__(self, target) -> None:
        self.target = target
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = refuse_dtd
        self.parser.EntityDeclHandler = refuse_dtd
        self.parser.ExternalEntityRefHandler = refuse_dtd
        self.opened: list[str] = []
        self.cut_at: int | None = None

    def cut(self) -> None:
        self.cut_at = self.parser.CurrentByteIndex
        raise _Cut()

    def run(self, stream) -> None:
        written = 0
        try:
            while block := stream.read(BLOCK):
                self.target.write(block)
                written += len(block)
                self.parser.Parse(block, False)
            return  # the whole part is kept
        except _Cut:
            pass
        assert self.cut_at is not None
        # The cut is the start of the last kept element's end tag: keep it through its ">".
        self.target.seek(self.cut_at)
        tail = self.target.read(written - self.cut_at)
        end = self.cut_at + tail.index(b">") + 1
        self.target.seek(end)
        self.target.truncate()
        self.target.write(b"".join(f"</{name}>".encode() for name in reversed(self.opened)))


def _cut_sheet(stream, target, *, after_row: int, rows: int) -> int:
    """Copy the sheet up to its `rows`-th row with a visible cell below `after_row`; the highest
    shared-string index the copy uses (-1 for none)."""
    cutter = _Cutter(target)
    state = {"number": 0, "shown": 0, "highest": -1}
    flags = {"shown": False, "value": False, "error": False, "shared": False}
    text: list[str] = []

    def start(name: str, attributes: dict) -> None:
        local = _local(name)
        if local == "row":
            reference = attributes.get("r")
            state["number"] = int(reference) if reference and reference.isdigit() else state["number"] + 1
            flags["shown"] = False
        elif local == "c":
            flags["error"] = attributes.get("t") == "e"
            flags["shared"] = attributes.get("t") == "s"
        elif local in ("v", "t"):
            flags["value"] = not flags["error"]
            text.clear()
        if local not in ("row", "c", "v", "t", "is", "r", "f", "rPr", "rPh"):
            cutter.opened.append(name)

    def end(name: str) -> None:
        local = _local(name)
        if local == "v" and flags["shared"] and "".join(text).strip().isdigit():
            state["highest"] = max(state["highest"], int("".join(text)))
        flags["value"] = False
        if local == "row":
            if flags["shown"] and state["number"] > after_row:
                state["shown"] += 1
                if state["shown"] >= rows:
                    cutter.cut()
        elif cutter.opened and cutter.opened[-1] == name:
            cutter.opened.pop()

    def characters(data: str) -> None:
        if flags["value"] and data:
            flags["shown"] = True
            text.append(data)

    cutter.parser.StartElementHandler = start
    cutter.parser.EndElementHandler = end
    cutter.parser.CharacterDataHandler = characters
    cutter.run(stream)
    return state["highest"]


def _cut_strings(stream, target, *, keep: int) -> None:
    """Copy the shared strings up to their `keep`-th <si>."""
    cutter = _Cutter(target)
    depth = [0]
    kept = [0]

    def start(name: str, _attributes: dict) -> None:
        depth[0] += 1
        if depth[0] == 1:
            cutter.opened.append(name)

    def end(name: str) -> None:
        depth[0] -= 1
        if depth[0] == 1 and _local(name) == "si":
            kept[0] += 1
            if kept[0] >= keep:
                cutter.cut()

    cutter.parser.StartElementHandler = start
    cutter.parser.EndElementHandler = end
    cutter.run(stream)


def write_sheet_head(path, target_path, *, after_row: int, rows: int, scratch) -> None:
    """Write to `target_path` the workbook at `path` with its first sheet cut after `rows` rows with a
    visible cell below sheet row `after_row` (other sheets emptied); `scratch`: a folder for the parts."""
    try:
        _write_sheet_head(path, target_path, after_row=after_row, rows=rows, scratch=scratch)
    except (expat.ExpatError, zipfile.BadZipFile, KeyError, ValueError, EOFError) as error:
        raise UploadRejected(f"The file is a damaged XLSX file and cannot be read ({error}).") from error


def _write_sheet_head(path, target_path, *, after_row: int, rows: int, scratch) -> None:
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target_path, "w", zipfile.ZIP_STORED) as target:
        member = first_sheet_member(source)
        sheet_part = f"{scratch}/sheet.xml"
        with source.open(member) as stream, open(sheet_part, "w+b") as part:
            highest = _cut_sheet(stream, part, after_row=after_row, rows=rows)
        target.write(sheet_part, member)
        names = {info.filename for info in source.infolist()}
        if SHARED_STRINGS in names:
            strings_part = f"{scratch}/strings.xml"
            with source.open(SHARED_STRINGS) as stream, open(strings_part, "w+b") as part:
                _cut_strings(stream, part, keep=max(highest + 1, 1))
            target.write(strings_part, SHARED_STRINGS)
        for info in source.infolist():
            if info.filename in (member, SHARED_STRINGS) or info.is_dir():
                continue
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                target.writestr(info.filename, EMPTY_SHEET)  # calamine reads only the first sheet
                continue
            with source.open(info) as stream, target.open(info.filename, "w") as copy:
                shutil.copyfileobj(stream, copy, BLOCK)
