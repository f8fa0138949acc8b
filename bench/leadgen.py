"""A seeded generator of lead files whose failures are known in advance.

Used by `make bench`, by the fault tests and by `manage.py generate_lead_file`. Beside every file it
writes `<file>.expected.json` with the exact counts an import with `on_duplicate=skip` must reach.

Mix (by default): about 2% invalid emails (each row still has a valid phone, so it fails only because
of the email), about 1% duplicate emails of earlier valid rows (half differ only in case), every phone
unique and valid for Spain (the company country the bench uses), in a mix of national and
international formats.
"""

import csv
import json
import random
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ["First Name", "Last Name", "Email", "Phone", "Company", "Job Title", "City", "Notes"]
FIRST_NAMES = ["Ana", "Luis", "Marta", "Jorge", "Lucía", "Pablo", "Elena", "Sergio", "Carmen", "David"]
LAST_NAMES = ["García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Díaz", "Ruiz", "Moreno", "Álvarez"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"]
TITLES = ["CEO", "CTO", "Sales", "Marketing", "Buyer", "Engineer"]
CITIES = ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga"]


@dataclass
class Expected:
    rows: int = 0
    imported: int = 0
    invalid: int = 0
    duplicates: int = 0

    @property
    def failed(self) -> int:
        return self.invalid + self.duplicates


def generate_rows(rows: int, *, seed: int = 20261128, invalid_rate: float = 0.02, duplicate_rate: float = 0.01):
    """Yield (row, kind) with kind in {"ok", "invalid", "duplicate"}."""
    rng = random.Random(seed)
    valid_emails: list[str] = []
    for index in range(rows):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        national = f"6{index:08d}"
        phone = national if index % 2 else f"+34 {national[:3]} {national[3:6]} {national[6:]}"
        roll = rng.random()
        if roll < invalid_rate:
            kind, email = "invalid", f"user{index}@@example"
        elif roll < invalid_rate + duplicate_rate and valid_emails:
            kind, email = "duplicate", rng.choice(valid_emails)
            if index % 2:
                email = email.upper()
        else:
            kind, email = "ok", f"lead{index}@example.com"
            if len(valid_emails) < 100_000:
                valid_emails.append(email)
        row = [first, last, email, phone, rng.choice(COMPANIES), rng.choice(TITLES), rng.choice(CITIES), ""]
        yield row, kind


def _tally(expected: Expected, kind: str) -> None:
    expected.rows += 1
    if kind == "ok":
        expected.imported += 1
    elif kind == "invalid":
        expected.invalid += 1
    else:
        expected.duplicates += 1


def write_csv(path: Path, rows: int, **options) -> Expected:
    expected = Expected()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row, kind in generate_rows(rows, **options):
            writer.writerow(row)
            _tally(expected, kind)
    _write_expected(path, expected)
    return expected


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _xlsx_row(number: int, values) -> str:
    cells = "".join(
        f'<c r="{_column_letter(i)}{number}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
        for i, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


_XML = '<?xml version="1.0" encoding="UTF-8"?>'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
XLSX_PARTS = {
    "[Content_Types].xml": (
        f'{_XML}<Types xmlns="{_PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_SPREADSHEET}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SPREADSHEET}.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'{_XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="{_RELATIONSHIPS}">'
        '<sheets><sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}


def write_xlsx(path: Path, rows: int, **options) -> Expected:
    """A minimal, valid XLSX (inline strings), streamed into the zip so memory stays flat."""
    expected = Expected()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in XLSX_PARTS.items():
            archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            sheet.write(_xlsx_row(1, HEADER).encode())
            for number, (row, kind) in enumerate(generate_rows(rows, **options), start=2):
                sheet.write(_xlsx_row(number, row).encode())
                _tally(expected, kind)
            sheet.write(b"</sheetData></worksheet>")
    _write_expected(path, expected)
    return expected


def _write_expected(path: Path, expected: Expected) -> None:
    Path(f"{path}.expected.json").write_text(json.dumps({**asdict(expected), "failed": expected.failed}, indent=2))


def write_lead_file(path: Path, rows: int, **options) -> Expected:
    writer = write_xlsx if Path(path).suffix.lower() == ".xlsx" else write_csv
    return writer(Path(path), rows, **options)
