"""The operators' side of imports: `manage.py import_leads` and the ImportFile admin."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from bench.leadgen import write_lead_file
from campaigns.models import Lead
from imports.models import ImportFile

pytestmark = pytest.mark.django_db


def run_import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_leads", str(path), *args, "--no-progress", stdout=out)
    return out.getvalue()


@pytest.fixture
def lead_csv(tmp_path) -> tuple[Path, dict]:
    path = tmp_path / "leads.csv"
    write_lead_file(path, 1_200, seed=7)  # past a thousand: the summary groups its digits
    return path, json.loads(Path(f"{path}.expected.json").read_text())


def test_cli_imports_a_file_in_process_with_exact_counts(owner, lead_csv):
    path, expected = lead_csv
    output = run_import(path, "--company", str(owner.company.pk))

    import_file = ImportFile.objects.get(company=owner.company)
    assert import_file.status == ImportFile.Status.COMPLETED
    assert import_file.imported_by == owner
    assert (import_file.total_records, import_file.failed_records) == (expected["rows"], expected["failed"])
    assert Lead.objects.filter(company=owner.company).count() == expected["imported"]
    assert f"{expected['rows']:,} rows, {expected['imported']:,} imported, {expected['failed']:,} failed" in output
    assert import_file.duplicate_records == expected["duplicates"] > 0
    assert f"(of which {expected['duplicates']:,} duplicates)" in output
    assert "Error file:" in output


def test_cli_applies_mapping_and_names_the_importer(owner, company_member, tmp_path):
    manager = company_member(owner.company, "manager")
    path = tmp_path / "mapped.csv"
    path.write_text("Mobile,Correo\n+34 600 000 001,ana@example.com\n")

    company = str(owner.company.pk)
    run_import(path, "--company", company, "--user", manager.email.upper(), "--mapping", '{"Mobile": "phone"}')

    lead = Lead.objects.get(company=owner.company)
    assert (lead.phone, lead.email) == ("+34600000001", "ana@example.com")
    assert ImportFile.objects.get().imported_by == manager


def test_cli_refuses_a_file_that_is_not_a_lead_file_and_stores_nothing(owner, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    with pytest.raises(CommandError, match="refused"):
        run_import(path, "--company", str(owner.company.pk))
    assert not ImportFile.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--company", "999999"], "No company"),
        (["--user", "stranger@example.com"], "holds no access"),
        (["--mapping", "[1, 2]"], "JSON object"),
        (["--mapping", "{nope"], "not valid JSON"),
    ],
)
def test_cli_explains_bad_arguments(owner, lead_csv, args, message):
    path, _ = lead_csv
    if "--company" not in args:
        args = ["--company", str(owner.company.pk), *args]
    with pytest.raises(CommandError, match=message):
        run_import(path, *args)
    assert not ImportFile.objects.exists()


def test_cli_async_queues_after_commit_without_processing(owner, lead_csv, django_capture_on_commit_callbacks):
    path, _ = lead_csv
    with django_capture_on_commit_callbacks() as callbacks:
        output = run_import(path, "--company", str(owner.company.pk), "--async")

    assert "Queued" in output
    assert len(callbacks) == 1
    assert ImportFile.objects.get().status == ImportFile.Status.PENDING
    assert not Lead.objects.exists()


@pytest.fixture
def finished_import(owner, lead_csv):
    path, _ = lead_csv
    run_import(path, "--company", str(owner.company.pk))
    return ImportFile.objects.get()


def test_admin_lists_imports_with_a_progress_column(admin_client, finished_import):
    response = admin_client.get(reverse("admin:imports_importfile_changelist"), {"status__exact": "2"})

    assert response.status_code == 200
    body = response.content.decode()
    assert finished_import.import_code in body
    assert '<progress value="100" max="100"' in body


def test_admin_downloads_the_private_files(admin_client, finished_import, lead_csv):
    path, _ = lead_csv

    def download(kind):
        return admin_client.get(reverse("admin:imports_importfile_download", args=[finished_import.pk, kind]))

    original, errors = download("original_file"), download("error_file")

    assert original.status_code == 200
    assert b"".join(original.streaming_content) == path.read_bytes()
    assert errors.status_code == 200
    assert b"row_number" in b"".join(errors.streaming_content)


def test_admin_download_needs_staff(client, finished_import):
    url = reverse("admin:imports_importfile_download", args=[finished_import.pk, "original_file"])
    response = client.get(url)
    assert response.status_code == 302  # to the admin login
    assert "login" in response["Location"]


def test_admin_cancel_and_retry_actions(admin_client, owner, django_capture_on_commit_callbacks):
    pending = ImportFile.objects.create(
        company=owner.company, imported_by=owner, original_name="a.csv",
        original_file=ContentFile(b"email\nana@example.com\n", name="a.csv"),
    )  # fmt: skip
    url = reverse("admin:imports_importfile_changelist")

    admin_client.post(url, {"action": "cancel_imports", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == ImportFile.Status.CANCELLED

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(url, {"action": "retry_imports", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == ImportFile.Status.PENDING
    assert len(callbacks) == 1  # queued again once the transaction commits
