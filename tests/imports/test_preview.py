"""Endpoint 58: the upload's checks, then what the import would do with the file's first rows;
nothing stored, bounded work whatever the file."""

import io
import json
import time
from pathlib import Path

import pytest

from campaigns.models import Lead
from imports.models import ImportFile
from imports.services import import_file_process
from tests.imports.conftest import stored_files
from tests.imports.test_api import upload

PREVIEW = "/api/v1/import/preview"
EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
EXPECTATIONS = sorted(EXPORTS.glob("*.expected.json"))


def preview(client, company_id, content: bytes, name="leads.csv", **fields):
    body = {"company_id": company_id, "file": io.BytesIO(content), **fields}
    body["file"].name = name
    return client.post(PREVIEW, body, format="multipart")


@pytest.mark.django_db
@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda path: path.name.removesuffix(".expected.json"))
def test_the_preview_of_a_real_export_is_what_the_import_then_does(expectation, owner, client_for, private_root):
    expected = json.loads(expectation.read_text(encoding="utf-8"))
    owner.company.country = expected["default_country"]
    owner.company.save(update_fields=["country"])
    client = client_for(owner)
    content = (EXPORTS / expected["fixture"]).read_bytes()

    response = preview(client, owner.company.id, content, name=expected["fixture"])
    assert response.status_code == 200, response.json()
    shown = response.json()["preview"]
    assert ImportFile.objects.count() == 0 and stored_files(private_root) == [] and Lead.objects.count() == 0
    fmt = expected["file_format"]
    assert (
        shown["file_format"]
        == {
            "kind": fmt["kind"],
            "encoding": fmt["encoding"],
            "delimiter": fmt["delimiter"],
            "header_row": expected["header_row"],
            "sheet": fmt["sheet"] if fmt["kind"] == "xlsx" else None,
        }
        or fmt["sheet"] is None
    )
    assert shown["file_format"]["header_row"] == expected["header_row"]
    rows = {str(row["row_number"]): row for row in shown["rows"]}
    wanted = dict(list(expected["rows"].items())[:20])
    assert sorted(rows, key=int) == sorted(wanted, key=int)
    for number, want in wanted.items():
        if "invalid" in want:
            assert any(want["invalid"] in error for error in rows[number]["errors"]), (number, rows[number])
            continue
        assert rows[number]["errors"] == [], (number, rows[number])
        lead = {key: value for key, value in rows[number]["lead"].items() if key != "extra"}
        assert lead == want["lead"] | {"notes": lead["notes"]}, number
        assert len(rows[number]["warnings"]) == len(want["warnings"]), number
    assert shown["summary"]["sampled"] == len(wanted)
    assert shown["summary"]["invalid"] == sum("invalid" in row for row in wanted.values())
    columns = {column["name"]: column for column in shown["columns"]}
    assert len(shown["columns"]) == len(shown["columns"]) and all(
        (column["field"] is None) == (column["matched_by"] is None) for column in columns.values()
    )

    # The import of the same file does what the preview said.
    created = upload(client, owner.company.id, content, name=expected["fixture"]).json()["import_file"]
    done = ImportFile.objects.get(pk=import_file_process(import_file_id=created["id"]).pk)
    assert done.total_records == shown["total_records"] == expected["total_records"]
    for row in rows.values():
        if row["errors"]:
            continue
        key = row["lead"]["email"] or row["lead"]["phone"]
        lead = Lead.objects.get(company=owner.company, **({"email": key} if "@" in key else {"phone": key}))
        assert {field: getattr(lead, field) for field in row["lead"] if field != "extra"} == {
            field: value for field, value in row["lead"].items() if field != "extra"
        }
        assert lead.extra == row["lead"]["extra"]


@pytest.mark.django_db
def test_columns_say_which_field_they_feed_and_why(owner, client_for):
    content = b"Correo,Nombre,Mobile,Phone,Colour\na@example.com,Ana,612000001,612000002,blue\n"
    body = preview(client_for(owner), owner.company.id, content, mapping=json.dumps({"Nombre": "last_name"}))
    columns = body.json()["preview"]["columns"]
    assert columns == [
        {"index": 0, "name": "Correo", "field": "email", "matched_by": "alias"},
        {"index": 1, "name": "Nombre", "field": "last_name", "matched_by": "mapping"},
        {"index": 2, "name": "Mobile", "field": "phone", "matched_by": "alias"},
        {"index": 3, "name": "Phone", "field": "phone", "matched_by": "alias"},
        {"index": 4, "name": "Colour", "field": None, "matched_by": None},
    ]
    (row,) = body.json()["preview"]["rows"]
    assert row["lead"]["phone"] == "+34612000001" and row["lead"]["last_name"] == "Ana"
    assert row["lead"]["extra"] == {"Phone": "612000002", "Colour": "blue"}


@pytest.mark.django_db
def test_duplicates_of_the_file_and_of_the_company_are_counted_apart(owner, client_for):
    from tests.factories import LeadFactory

    LeadFactory(company=owner.company, email="old@example.com", phone=None)
    content = b"Email\nold@example.com\nnew@example.com\nnew@example.com\nbad@@x\n"
    summary = preview(client_for(owner), owner.company.id, content).json()["preview"]["summary"]
    assert summary == {"sampled": 4, "valid": 1, "invalid": 1, "duplicates": 2}


@pytest.mark.parametrize(
    ("content", "fields"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, {}),
        (b"", {}),
        (b"Name,City\nAna,Madrid\n", {}),
        (b"Email\n", {}),
        (b"Email\na@example.com\n", {"mapping": "{not json"}),
        (b"Email\na@example.com\n", {"on_duplicate": "merge"}),
    ],
)
@pytest.mark.django_db
def test_the_preview_refuses_what_the_upload_refuses_with_the_same_422(
    owner, client_for, private_root, content, fields
):
    client = client_for(owner)
    previewed = preview(client, owner.company.id, content, **fields)
    uploaded = upload(client, owner.company.id, content, **fields)
    assert previewed.status_code == uploaded.status_code == 422
    assert previewed.json() == uploaded.json()


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_413(owner, client_for, settings):
    settings.IMPORT_MAX_CSV_BYTES = 1000
    response = preview(client_for(owner), owner.company.id, b"Email\n" + b"a@example.com\n" * 200)
    assert response.status_code == 413


@pytest.mark.django_db
def test_agents_cannot_preview(owner, client_for, company_member):
    agent = client_for(company_member(owner.company, "agent"))
    assert preview(agent, owner.company.id, b"Email\na@example.com\n").status_code == 403


@pytest.mark.django_db
def test_a_preview_of_a_csv_at_the_size_limit_reads_only_its_beginning(owner, settings, tmp_path):
    """A CSV at the (here lowered) size limit: the preview answers in bounded time, and about the same
    time as a file a tenth of its size (the upload's whole-file checks are not run)."""
    from imports.services import import_file_preview

    row = b"Ana,Garcia,ana%07d@example.com,612%06d,Madrid,ES\n"
    header = b"First Name,Last Name,Email,Phone,City,Country\n"
    timings = {}
    for rows in (100_000, 1_000_000):
        path = tmp_path / f"leads-{rows}.csv"
        with open(path, "wb") as handle:
            handle.write(header)
            for start in range(0, rows, 100_000):
                handle.write(b"".join(row % (i, i % 1_000_000) for i in range(start, start + 100_000)))
        settings.IMPORT_MAX_CSV_BYTES = path.stat().st_size
        began = time.perf_counter()
        shown = import_file_preview(company=owner.company, file=str(path), name="leads.csv", options={})
        timings[rows] = time.perf_counter() - began
        assert shown["summary"] == {"sampled": 20, "valid": 20, "invalid": 0, "duplicates": 0}
        assert abs(shown["total_records"] - rows) < rows * 0.01
    assert timings[1_000_000] < 1.0, timings
    assert timings[1_000_000] < 3 * timings[100_000] + 0.2, timings


@pytest.mark.django_db
def test_hostile_workbooks_are_refused_by_the_preview_as_by_the_upload(owner, client_for, tmp_path):
    from tests.imports.files import compressible, zip_declaring

    bomb = zip_declaring(
        tmp_path / "bomb.xlsx", member="xl/media/big.xml", payload=compressible(2_000_000), declared_size=500 * 2**20
    ).read_bytes()
    client = client_for(owner)
    previewed = preview(client, owner.company.id, bomb, name="bomb.xlsx")
    assert previewed.status_code == 422 and "zip bomb" in json.dumps(previewed.json())
    assert previewed.json() == upload(client, owner.company.id, bomb, name="bomb.xlsx").json()


@pytest.mark.django_db
def test_the_preview_of_a_hostile_sheet_costs_time_linear_in_its_size(owner, tmp_path):
    """R36's sheet (closing tags with spaces, which once made each cell scan run to the end): the
    preview's work grows with the file, not faster."""
    from imports.services import import_file_preview
    from tests.imports.test_trust import spaced_xlsx

    timings = {}
    for factor in (1, 4):
        path, _ = spaced_xlsx(tmp_path / f"spaced-{factor}.xlsx", 2_000 * factor)
        began = time.perf_counter()
        shown = import_file_preview(company=owner.company, file=str(path), name="spaced.xlsx", options={})
        timings[factor] = time.perf_counter() - began
        assert shown["total_records"] == 2_000 * factor and shown["summary"]["sampled"] == 20
    assert timings[4] < 8 * timings[1] + 0.5, timings


@pytest.mark.django_db
def test_progress_moves_at_least_every_5_percent_of_a_small_file(owner, lead_csv):
    from imports.services import import_file_create

    path, _ = lead_csv(200)
    created = import_file_create(user=owner, company=owner.company, file=str(path), name="leads.csv",
                                 options={}, enqueue=False)  # fmt: skip
    seen = []
    import_file_process(import_file_id=created.pk, progress=lambda current: seen.append(current.processed_records))
    steps = [after - before for before, after in zip([0, *seen], seen, strict=False)]
    assert seen[-1] == 200 and len(seen) >= 20 and max(steps) <= 10, seen


@pytest.mark.django_db
def test_the_preview_is_in_the_schema(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/import/preview"]["post"]
    assert operation["operationId"] == "import_preview"
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert "200" in operation["responses"]
    preview_schema = schema["components"]["schemas"]["ImportPreview"]
    assert set(preview_schema["properties"]) == {"file_format", "total_records", "columns", "rows", "summary"}
    import_file = schema["components"]["schemas"]["ImportFile"]["properties"]
    assert {"duplicate_records", "warning_records", "warnings"} <= set(import_file)


@pytest.mark.django_db
def test_row_numbers_are_the_rows_a_spreadsheet_shows_blank_lines_included(owner, client_for, private_root):
    """Blank lines above and between the rows, and a quoted cell over two lines: the preview and the
    error file name each bad row by the row a spreadsheet shows (a blank line is a row; a two-line cell
    is one), which is the file's line up to the two-line cell and one less after it."""
    import csv

    lines = [
        "",  # 1
        "Email,Phone,Notes",  # 2: the header
        "ana@example.com,612000001,ok",  # 3
        "",  # 4
        "bad@@x,612000002,first bad",  # 5
        "",  # 6
        "",  # 7
        'luis@example.com,612000003,"two',  # 8: one row, two lines
        'lines"',
        "also@@bad,612000004,after the two-line cell",  # row 9, the file's line 10
        "   ",  # row 10
        ",,",  # row 11
        "marta@example.com,nope,bad phone",  # row 12
    ]
    content = ("\r\n".join(lines) + "\r\n").encode()
    client = client_for(owner)

    shown = preview(client, owner.company.id, content).json()["preview"]
    assert shown["file_format"]["header_row"] == 2
    numbers = {row["row_number"]: row["errors"] for row in shown["rows"]}
    assert numbers == {3: [], 5: ["invalid email"], 8: [], 9: ["invalid email"], 12: ["invalid phone"]}
    assert shown["total_records"] == 5

    created = upload(client, owner.company.id, content).json()["import_file"]
    import_file_process(import_file_id=created["id"])
    status = client.get(f"/api/v1/import/{created['import_code']}").json()["import_file"]
    assert (status["total_records"], status["failed_records"]) == (5, 3)
    text = b"".join(client.get(status["error_file"]).streaming_content).decode("utf-8-sig")
    failed = {row["row_number"]: (row["Notes"], row["error"]) for row in csv.DictReader(io.StringIO(text))}
    assert failed == {
        "5": ("first bad", "invalid email"),
        "9": ("after the two-line cell", "invalid email"),
        "12": ("bad phone", "invalid phone"),
    }
    assert Lead.objects.filter(company=owner.company).count() == 2


@pytest.mark.django_db
def test_the_preview_of_a_big_workbook_loads_only_its_first_rows(owner, tmp_path, monkeypatch):
    """calamine loads whatever sheet it is given whole: the preview gives it a copy of the first rows
    only (the content sample of the column plan, then the 20 shown), whatever the workbook's size. Seen
    through the one place the pipeline opens a sheet; the timing at the size limit is in
    `bench/preview_bench.py`."""
    from bench.leadgen import write_xlsx
    from imports.pipeline import read
    from imports.process import CONTENT_SAMPLE_ROWS
    from imports.services import import_file_preview

    rows = 40_000
    path = tmp_path / "big.xlsx"
    write_xlsx(path, rows)
    loaded = []
    real = read.open_first_sheet

    def spy(*args, **kwargs):
        sheet = real(*args, **kwargs)
        loaded.append(sheet.height)
        return sheet

    monkeypatch.setattr(read, "open_first_sheet", spy)
    shown = import_file_preview(company=owner.company, file=str(path), name="big.xlsx", options={})
    assert shown["summary"]["sampled"] == 20 and [row["row_number"] for row in shown["rows"]] == list(range(2, 22))
    assert abs(shown["total_records"] - rows) < rows * 0.05  # estimated from the sheet's first megabyte
    assert loaded and max(loaded) <= 1 + CONTENT_SAMPLE_ROWS, loaded  # header + sample, not 40,001 rows


@pytest.mark.django_db
def test_an_estimated_row_count_refuses_only_a_file_clearly_over_the_limit(owner, tmp_path):
    """The preview of a big workbook extrapolates its rows from the sheet's first MiB (a few percent off
    either way): a workbook at the limit must not be refused for an estimate a little over it."""
    from bench.leadgen import write_xlsx
    from billing.services import membership_attach
    from imports.pipeline.fileformat import UploadRejected
    from imports.pipeline.limits import check_row_limits
    from imports.services import import_file_preview
    from tests.factories import membership

    membership_attach(company=owner.company, membership=membership("Pro"))  # 100,000 leads per import
    path = tmp_path / "at-the-limit.xlsx"
    write_xlsx(path, 100_000)
    assert import_file_preview(company=owner.company, file=str(path), name=path.name, options={})["rows"]

    check_row_limits(company=owner.company, rows=124_000, estimated=True)
    with pytest.raises(UploadRejected, match=r"about 126,000 data rows; the company's plan allows 100,000"):
        check_row_limits(company=owner.company, rows=126_000, estimated=True)
    with pytest.raises(UploadRejected, match=r"has 100,001 data rows"):
        check_row_limits(company=owner.company, rows=100_001)
