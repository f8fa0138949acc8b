"""The lead export (endpoint 62): the rows the list returns for the same filters, streamed as CSV or XLSX.

The rows come from the list's own queryset (`selectors.lead_list`) through `.iterator(chunk_size=…)`
(a server-side cursor on PostgreSQL), and each batch is encoded and handed on at once: memory stays
flat in the number of leads (`bench/export_bench.py` measures it).

Columns: the import template's (`imports.pipeline.headers.TEMPLATE_HEADER`, so an export imports
back as it is), then `stage`, `campaign`, `import_code`, `created_at`, then one per `extra` key of the
exported leads (collected in one query). CSV is UTF-8 with BOM, each cell neutralized against formulas
by the error file's own `neutralize`. XLSX is written as it goes into a zip whose entries carry their
sizes after their data (no seek, no temporary file); its cells are inline strings, which no
spreadsheet evaluates, so they keep their text unchanged.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from imports.pipeline.headers import TEMPLATE_HEADER
from imports.pipeline.report import neutralize
from leadsy.errors import InvalidFields

from .models import LEAD_CONTACT_FIELDS, Lead
from .selectors import lead_extra_keys

FIXED_COLUMNS = [*TEMPLATE_HEADER, "stage", "campaign", "import_code", "created_at"]
ROW_FIELDS = [*LEAD_CONTACT_FIELDS, "stage__name", "campaign__name", "import_code", "created_at", "extra"]
BATCH = 2000  # rows fetched per round trip and encoded per chunk handed to the response
XLSX_MAX_CELL = 32_767  # characters a spreadsheet cell holds
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


@dataclass
class Export:
    chunks: Iterator[bytes]
    content_type: str
    filename: str


def lead_export(*, leads: QuerySet[Lead], kind: str, name: str) -> Export:
    """The export of `leads` (the list's queryset) as `kind` ("csv" | "xlsx"). XLSX over the sheet's row
    limit (setting LEAD_EXPORT_XLSX_MAX_ROWS, header included) → 422 naming the count."""
    if kind not in FORMATS:
        raise InvalidFields({"format": [f"Must be one of: {', '.join(FORMATS)}."]})
    if kind == "xlsx":
        limit = settings.LEAD_EXPORT_XLSX_MAX_ROWS
        count = leads.count()
        if count + 1 > limit:
            raise InvalidFields(
                {
                    "format": [
                        f"{count} leads do not fit in an XLSX sheet (at most {limit - 1} rows below the header): "
                        "export as CSV, or narrow the list with a filter."
                    ]
                }
            )
    keys = lead_extra_keys(leads)
    header = [*FIXED_COLUMNS, *keys]
    rows = _rows(leads, keys)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{name}-{stamp}.{kind}"
    if kind == "csv":
        return Export(csv_chunks(header, rows), CSV_TYPE, filename)
    return Export(xlsx_chunks(header, rows), XLSX_TYPE, filename)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _iso(value) -> str:
    """As the API writes a timestamp (DRF's ISO 8601 in UTC, `Z`), without DRF's per-value timezone work."""
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if value else ""


def _rows(leads: QuerySet[Lead], keys: list[str]) -> Iterator[list[str]]:
    for values in leads.values_list(*ROW_FIELDS).iterator(chunk_size=BATCH):
        *fixed, created_at, extra = values
        cells = ["" if value is None else str(value) for value in fixed]
        cells.append(_iso(created_at))
        extra = extra if isinstance(extra, dict) else {}
        cells.extend(_text(extra.get(key)) for key in keys)
        yield cells


def csv_chunks(header: list[str], rows: Iterable[list[str]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralize(cell) for cell in header])
    for count, cells in enumerate(rows, start=1):
        writer.writerow([neutralize(cell) for cell in cells])
        if count % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------------

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'{_XML}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}">'
        '<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_XML}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
# Characters XML 1.0 cannot hold at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Sink:
    """A write-only stream the zip writes into and the generator empties after each batch."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape(text: str) -> str:
    text = _NOT_XML.sub("", text[:XLSX_MAX_CELL])
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_row(number: int, cells: list[str], letters: list[str]) -> str:
    return (
        f'<row r="{number}">'
        + "".join(
            f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">{_escape(cell)}</t></is></c>'
            for letter, cell in zip(letters, cells, strict=True)
            if cell
        )
        + "</row>"
    )


def xlsx_chunks(header: list[str], rows: Iterable[list[str]]) -> Iterator[bytes]:
    sink = _Sink()
    letters = [_column_letter(index) for index in range(len(header))]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, text in _PARTS.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            sheet.write(_xml_row(1, header, letters).encode())
            for number, cells in enumerate(rows, start=2):
                sheet.write(_xml_row(number, cells, letters).encode())
                if number % BATCH == 0:
                    yield sink.drain()
            sheet.write(b"</sheetData></worksheet>")
    yield sink.drain()
