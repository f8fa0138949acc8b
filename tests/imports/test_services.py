import csv
import io
import json

import pytest
from django.db import connection

from bench.leadgen import write_csv, write_xlsx
from campaigns.models import Lead
from imports.models import ImportFile
from imports.services import import_file_create, import_file_process
from tests.factories import LeadFactory

Status = ImportFile.Status


@pytest.fixture(autouse=True)
def _small_chunks(settings):
    settings.IMPORT_CHUNK_SIZE = 300


def create(owner, path, **options):
    return import_file_create(
        user=owner, company=owner.company, file=str(path), name=path.name, options=options, enqueue=False
    )


def run(import_file):
    return import_file_process(import_file_id=import_file.pk)


def error_rows(import_file) -> list[dict]:
    with import_file.error_file.open("rb") as handle:
        raw = handle.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def assert_counts(import_file, *, total, failed):
    assert import_file.status == Status.COMPLETED, import_file.error_message
    assert (import_file.total_records, import_file.processed_records, import_file.failed_records) == (
        total,
        total,
        failed,
    )


@pytest.mark.django_db
def test_generated_csv_gives_exact_counts_and_error_file(owner, tmp_path):
    path = tmp_path / "leads.csv"
    expected = write_csv(path, 1000)
    import_file = run(create(owner, path))

    assert_counts(import_file, total=1000, failed=expected.failed)
    assert Lead.objects.filter(company=owner.company).count() == expected.imported
    assert json.loads((tmp_path / "leads.csv.expected.json").read_text())["imported"] == expected.imported
    rows = error_rows(import_file)
    assert len(rows) == expected.failed
    assert list(rows[0]) == ["First Name", "Last Name", "Email", "Phone", "Company", "Job Title", "City", "Notes",
                             "row_number", "error"]  # fmt: skip
    reasons = {row["error"] for row in rows}
    assert reasons <= {"invalid email", "duplicate"}
    numbers = [int(row["row_number"]) for row in rows]
    assert numbers == sorted(numbers) and numbers[0] >= 2
    lead = Lead.objects.filter(company=owner.company).order_by("id").first()
    assert lead.phone.startswith("+34") and lead.email == lead.email.lower() and lead.import_file == import_file


@pytest.mark.django_db
def test_reimport_makes_every_row_a_duplicate(owner, tmp_path):
    path = tmp_path / "leads.csv"
    expected = write_csv(path, 400)
    run(create(owner, path))
    again = run(create(owner, path))
    assert_counts(again, total=400, failed=400)
    assert Lead.objects.filter(company=owner.company).count() == expected.imported
    assert {row["error"] for row in error_rows(again)} <= {"duplicate", "invalid email"}


@pytest.mark.django_db
def test_on_duplicate_update_fills_existing_leads(owner, tmp_path):
    LeadFactory(company=owner.company, email="ana@example.com", phone=None, city="", first_name="Old")
    LeadFactory(company=owner.company, email="other@example.com", phone="+34600000002", city="Bilbao")
    path = tmp_path / "update.csv"
    path.write_text(
        "email,phone,first_name,city\n"
        "ANA@example.com,,Ana,Madrid\n"
        ",600000002,Luis,\n"
        "new@example.com,,New,Sevilla\n"
        "new@example.com,,,Valencia\n"
    )
    import_file = run(create(owner, path, on_duplicate="update"))

    assert_counts(import_file, total=4, failed=0)
    leads = {lead.email: lead for lead in Lead.objects.filter(company=owner.company)}
    assert len(leads) == 3
    assert (leads["ana@example.com"].first_name, leads["ana@example.com"].city) == ("Ana", "Madrid")
    assert (leads["other@example.com"].first_name, leads["other@example.com"].city) == ("Luis", "Bilbao")
    assert leads["new@example.com"].city == "Valencia"


@pytest.mark.django_db
def test_row_rules(owner, tmp_path):
    path = tmp_path / "rules.csv"
    path.write_text(
        "email,phone,notes,Favourite colour\n"
        "good@example.com,,=1+1,blue\n"
        "bad@@example,+34 612 000 001,,\n"  # bad email fails even with a good phone
        ",12,,\n"  # bad phone
        ",,just notes,\n"  # neither
        "'+34612000009,,,\n"  # not an email
        "GOOD@example.com,,,\n"  # duplicate, case-insensitive
    )
    import_file = run(create(owner, path))

    assert_counts(import_file, total=6, failed=5)
    rows = error_rows(import_file)
    reasons = {int(row["row_number"]): row["error"] for row in rows}
    assert reasons == {
        3: "invalid email",
        4: "invalid phone",
        5: "email or phone is required",
        6: "invalid email",
        7: "duplicate",
    }
    good = Lead.objects.get(company=owner.company, email="good@example.com")
    assert good.notes == "=1+1" and good.extra == {"Favourite colour": "blue"}
    assert rows[0]["phone"] == "'+34 612 000 001"  # neutralized against CSV injection

    # The user fixes the error file and uploads it as it is: row_number/error are ignored, `'` undone.
    fixed = tmp_path / "fixed.csv"
    raw = import_file.error_file.open("rb").read().decode("utf-8-sig")
    fixed.write_text(raw.replace("bad@@example", "fixed@example.com").replace(",12,", ",612000004,"))
    again = run(create(owner, fixed))
    assert_counts(again, total=5, failed=3)
    assert Lead.objects.get(company=owner.company, email="fixed@example.com").phone == "+34612000001"
    assert Lead.objects.get(company=owner.company, phone="+34612000004").extra == {}


@pytest.mark.django_db
def test_xlsx(owner, tmp_path):
    path = tmp_path / "leads.xlsx"
    expected = write_xlsx(path, 500)
    import_file = run(create(owner, path))
    assert_counts(import_file, total=500, failed=expected.failed)
    assert Lead.objects.filter(company=owner.company).count() == expected.imported


@pytest.mark.django_db
def test_windows_1252_with_semicolons(owner, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        "Nombre;Correo;Teléfono\nMaría;maria@example.com;612 000 111\nJosé;jose@example;\n".encode("cp1252")
    )
    import_file = run(create(owner, path))
    assert_counts(import_file, total=2, failed=1)
    assert Lead.objects.get(company=owner.company).phone == "+34612000111"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE after an import is PostgreSQL only")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("rows", "analyzed"), [(500, True), (499, False)])
def test_a_big_import_ends_with_fresh_statistics_of_the_lead_table(owner, tmp_path, settings, rows, analyzed):
    """Until autovacuum gets to it the planner would plan the company lead lists on statistics from
    before the import (see imports.pipeline.write.refresh_lead_statistics)."""
    settings.IMPORT_ANALYZE_MIN_ROWS = 500
    path = tmp_path / "leads.csv"
    write_csv(path, rows)
    before = _analyze_count()

    assert run(create(owner, path)).status == Status.COMPLETED

    assert (_analyze_count() > before) is analyzed


def _analyze_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %s", [Lead._meta.db_table])
        return cursor.fetchone()[0]
