"""Can calamine read this XLSX safely? The zip gate, before calamine (which loads a sheet whole) sees it.

Gates on the zip's central directory and on the real inflated sizes (declared sizes can lie), refuses
DTD and entity declarations in any XML part, bounds the cells of a sheet, then reads the header from
the sheet XML as a stream (`sheet_xml`).
"""

from __future__ import annotations

import codecs
import os
import struct
import zipfile
import zlib

from python_calamine import CalamineWorkbook, SheetTypeEnum

from .fileformat import FileFormat, UploadRejected, check_header, check_size, limit, megabytes
from .sheet_xml import read_header

BLOCK = 1024 * 1024
MAX_XLSX_MEMBERS = 10_000
# Small parts (styles, themes) legitimately compress very well; only big ones can be bombs.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024

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


def _check_zip(path, *, label: str, inflate: bool = True) -> None:
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
    max_total = limit("IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES")
    max_ratio = limit("IMPORT_MAX_XLSX_RATIO")
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
            f"{label} inflates to {megabytes(total)}, more than the {megabytes(max_total)} an XLSX may hold; "
            "split it or upload it as CSV."
        )
    if not inflate:
        return
    max_cells = limit("IMPORT_MAX_XLSX_CELLS")
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


def _check_workbook(path, *, label: str) -> None:
    """calamine opens the workbook (not yet the sheet: that is the worker's job) and finds a worksheet first."""
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


def inspect_xlsx(path, *, size: int, label: str, whole: bool = True) -> FileFormat:
    """`whole=False` (the preview of a big workbook): the zip directory's checks only, no part inflated."""
    check_size(kind="xlsx", size=size, label=label)
    _check_zip(path, label=label, inflate=whole)
    _check_workbook(path, label=label)
    header_row, header, has_data = read_header(path, label=label)
    if not header:
        raise UploadRejected(f"{label} is empty: its first sheet has no rows.")
    check_header(header, label)
    if not has_data:
        raise UploadRejected(f"{label} has a header row but no data rows.")
    return FileFormat(kind="xlsx", encoding=None, delimiter=None, header=header, header_row=header_row)
