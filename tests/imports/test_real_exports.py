"""Issue 15: the contact exports people bring (tests/fixtures/exports, docs/real-exports.md) import
right with no mapping, through the API as a user does: every field of every lead as the fixture's
expectation says, its invalid rows failed with their reason, its warnings counted, its footer and
blank rows no records at all.
"""

import csv
import io
import json
from pathlib import Path

import pytest

from campaigns.models import Lead
from imports.services import import_file_process

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
EXPECTATIONS = sorted(EXPORTS.glob("*.expected.json"))
URL = "/api/v1/import"
FIELDS = ("first_name", "last_name", "email", "phone", "company_name", "job_title", "city", "country", "source",
          "notes")  # fmt: skip


def _upload(client, company_id, path: Path, url=URL):
    body = {"company_id": company_id, "file": io.BytesIO(path.read_bytes())}
    body["file"].name = path.name
    return client.post(url, body, format="multipart")


def _error_rows(client, status) -> dict[int, str]:
    if not status["error_file"]:
        return {}
    text = b"".join(client.get(status["error_file"]).streaming_content).decode("utf-8-sig")
    return {int(row["row_number"]): row["error"] for row in csv.DictReader(io.StringIO(text))}


@pytest.fixture
def company_in(owner):
    def make(country: str):
        owner.company.country = country
        owner.company.save(update_fields=["country"])
        return owner.company

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("expectation", EXPECTATIONS, ids=lambda path: path.name.removesuffix(".expected.json"))
def test_a_real_export_imports_as_a_person_expects(expectation, owner, client_for, company_in):
    expected = json.loads(expectation.read_text(encoding="utf-8"))
    company = company_in(expected["default_country"])
    client = client_for(owner)

    response = _upload(client, company.id, EXPORTS / expected["fixture"])
    assert response.status_code == 202, response.json()
    code = response.json()["import_file"]["import_code"]
    import_file_process(import_file_id=response.json()["import_file"]["id"])
    status = client.get(f"{URL}/{code}").json()["import_file"]
    assert status["status_name"] == "completed", status

    rows = expected["rows"]
    invalid = {int(number): row["invalid"] for number, row in rows.items() if "invalid" in row}
    warned = {int(number): row["warnings"] for number, row in rows.items() if row.get("warnings")}
    assert status["total_records"] == expected["total_records"]
    assert status["processed_records"] == expected["total_records"]
    errors = _error_rows(client, status)
    assert sorted(errors) == sorted(invalid), errors
    for number, reason in invalid.items():
        assert reason in errors[number], (number, errors[number])
    assert status["failed_records"] == len(invalid) and status["duplicate_records"] == 0
    assert status["warning_records"] == len(warned)
    shown = {warning["warning"]: warning["count"] for warning in status["warnings"]}
    assert sum(shown.values()) >= len(warned)
    for number, texts in warned.items():
        for text in texts:
            assert any(text in warning for warning in shown), (number, text, shown)

    leads = {lead.email or lead.phone: lead for lead in Lead.objects.filter(company=company)}
    assert len(leads) == len(rows) - len(invalid)
    for number, row in rows.items():
        if "invalid" in row:
            continue
        want = row["lead"]
        lead = leads.get(want["email"] or want["phone"])
        assert lead is not None, (number, want)
        got = {field: getattr(lead, field) for field in FIELDS}
        got["notes"] = got["notes"].replace("\r\n", "\n")
        assert got == {**want, "notes": want["notes"].replace("\r\n", "\n")}, number
        for key, value in row.get("extra_contains", {}).items():
            assert lead.extra.get(key) == value, (number, key, lead.extra)
