"""Small hand-made lead files for the file-reading tests."""

import io
import struct
import zipfile
from pathlib import Path

from bench.leadgen import XLSX_PARTS, _xlsx_row

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def xlsx_bytes(rows, *, sheet_prefix: bytes = b"", extra_parts: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in XLSX_PARTS.items():
            archive.writestr(name, content)
        # Excel marks text with edge spaces xml:space="preserve"; calamine trims it otherwise.
        body = "".join(_xlsx_row(number, row) for number, row in enumerate(rows, start=1)).replace(
            "<t>", '<t xml:space="preserve">'
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            b'<?xml version="1.0" encoding="UTF-8"?>'
            + sheet_prefix
            + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + body.encode()
            + b"</sheetData></worksheet>",
        )
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def xlsx_with_numbers(path: Path) -> Path:
    """A sheet with a phone typed as a number, a date and a float, as Excel stores them."""
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c><c r="B1" t="inlineStr"><is><t>Phone</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>Score</t></is></c><c r="D1" t="inlineStr"><is><t>Formula</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>a@example.com</t></is></c><c r="B2"><v>34600000001</v></c>'
        '<c r="C2"><v>2.5</v></c><c r="D2" t="inlineStr"><is><t>=1+1</t></is></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>b@example.com</t></is></c><c r="B4"><v>600000002</v></c></row>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in XLSX_PARTS.items():
            archive.writestr(name, content)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0" encoding="UTF-8"?><worksheet '
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            f"{cells}</sheetData></worksheet>",
        )
    return write_bytes(path, buffer.getvalue())


def zip_declaring(path: Path, *, member: str, payload: bytes, declared_size: int) -> Path:
    """A zip whose central directory lies about one member's inflated size (a crafted bomb)."""
    write_bytes(path, xlsx_bytes([["Email"], ["a@example.com"]], extra_parts={member: payload}))
    data = bytearray(path.read_bytes())
    name = member.encode()
    # Patch the uncompressed size in both the local header and the central directory entry.
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (position := data.find(signature, start)) != -1:
            name_offset = position + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_offset : name_offset + len(name)] == name:
                struct.pack_into("<I", data, position + size_offset, declared_size)
            start = position + 4
    return write_bytes(path, bytes(data))


def compressible(size: int) -> bytes:
    return b"<x>" + b"a" * size + b"</x>"


STYLES_WITH_DATE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def xlsx_from_xml(path: Path, sheet_data: str, *, shared: list[str] | None = None) -> Path:
    """An XLSX whose sheetData (and shared strings) are given as raw XML, the way Excel writes them."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts = dict(XLSX_PARTS)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>",
        f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
    )
    strings = "".join(item if item.startswith("<si>") else f"<si><t>{item}</t></si>" for item in shared or [])
    parts["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(shared or [])}">{strings}</sst>'
    )
    parts["xl/styles.xml"] = STYLES_WITH_DATE
    parts["xl/worksheets/sheet1.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
        f"<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return write_bytes(path, buffer.getvalue())
