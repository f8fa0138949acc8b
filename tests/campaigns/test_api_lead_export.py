"""Endpoint 62: the leads the list returns, all pages, streamed as CSV or XLSX."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from python_calamine import CalamineWorkbook

from campaigns.models import Lead
from imports.models import ImportFile
from imports.pipeline.headers import TEMPLATE_HEADER
from tests.factories import CampaignFactory, CompanyFactory, LeadFactory, stage

pytestmark = pytest.mark.django_db

FIXED = [*TEMPLATE_HEADER, "stage", "campaign", "import_code", "created_at"]


def url(company_id, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/v1/companies/{company_id}/leads/export?{query}"


@pytest.fixture
def manager(owner, company_member):
    return company_member(owner.company, "manager")


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list[str]]:
    data = body(response)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return [[str(cell) for cell in row] for row in sheet.to_python()]


def listed_ids(client, company_id, **params) -> list[int]:
    """The ids the list returns for these filters, page after page."""
    ids: list[int] = []
    page = 1
    while True:
        query = {**params, "per_page": 100, "page": page}
        leads = client.get(f"/api/v1/companies/{company_id}/leads", query).json()["leads"]
        if not leads:
            return ids
        ids += [lead["id"] for lead in leads]
        page += 1


class TestCsv:
    def test_columns_values_and_attachment(self, client_for, manager, owner):
        campaign = CampaignFactory(company=owner.company, name="Spring fair")
        upload = ImportFile.objects.create(company=owner.company, original_file="imports/originals/a.csv")
        lead = LeadFactory(
            company=owner.company, first_name="Ana", last_name="García", email="ana@example.com",
            phone="+34612345678", country="ES", notes="línea 1\nlínea 2", stage=stage("Won"), campaign=campaign,
            import_file=upload, extra={"Size": "L", "colour": "blue"},
        )  # fmt: skip
        LeadFactory(company=owner.company, first_name="Bob", email="bob@example.com", extra={"budget": 12})
        LeadFactory(company=CompanyFactory(), extra={"secret": "theirs"})

        response = client_for(manager).get(url(owner.company.id, format="csv"))
        rows = csv_rows(response)

        assert response["Content-Disposition"].startswith(f'attachment; filename="leads-{owner.company.id}-')
        assert response["Content-Disposition"].endswith('.csv"')
        assert rows[0] == [*FIXED, "budget", "colour", "Size"]
        assert len(rows) == 3
        ana = dict(zip(rows[0], rows[2], strict=True))  # newest first: Bob, then Ana
        created = client_for(manager).get(f"/api/v1/leads/{lead.id}").json()["lead"]["created_at"]
        assert ana == {
            "First Name": "Ana", "Last Name": "García", "Email": "ana@example.com", "Phone": "'+34612345678",
            "Company": "", "Job Title": "", "City": "", "Country": "ES", "Source": "", "Notes": "línea 1\nlínea 2",
            "stage": "Won", "campaign": "Spring fair", "import_code": upload.import_code, "created_at": created,
            "budget": "", "colour": "blue", "Size": "L",
        }  # fmt: skip
        assert dict(zip(rows[0], rows[1], strict=True))["budget"] == "12"

    def test_cells_are_neutralized_as_in_the_error_file(self, client_for, manager, owner):
        from imports.pipeline.report import neutralize

        values = {"first_name": '=HYPERLINK("http://x")', "last_name": "@SUM(A1)", "city": "-2+3", "notes": "\tx"}
        LeadFactory(company=owner.company, extra={"=key": "+cmd|' /C calc'!A0"}, **values)

        rows = csv_rows(client_for(manager).get(url(owner.company.id)))  # csv by default

        assert rows[0][-1] == "'=key"
        record = dict(zip(rows[0], rows[1], strict=True))
        assert record["First Name"] == '\'=HYPERLINK("http://x")' == neutralize(values["first_name"])
        assert record["Last Name"] == "'@SUM(A1)"
        assert record["City"] == "'-2+3"
        assert record["Notes"] == "'\tx"
        assert record["'=key"] == "'+cmd|' /C calc'!A0"

    def test_filters_and_ordering_agree_with_the_list_over_every_page(self, client_for, manager, owner):
        campaign = CampaignFactory(company=owner.company)
        for n in range(130):
            LeadFactory(
                company=owner.company,
                first_name=f"Ana{n:03d}" if n % 3 else f"Bob{n:03d}",
                campaign=campaign if n % 2 else None,
                stage=stage("Won") if n % 5 else stage("New"),
            )
        client = client_for(manager)
        for params in (
            {},
            {"campaign_id": campaign.id},
            {"stage_id": stage("Won").id, "q": "ana"},
            {"q": "bob", "ordering": "first_name"},
            {"import_code": "nope"},
        ):
            expected = listed_ids(client, owner.company.id, **params)
            names = [row[0] for row in csv_rows(client.get(url(owner.company.id, format="csv", **params)))[1:]]
            by_id = dict(Lead.objects.values_list("pk", "first_name"))
            assert names == [by_id[pk] for pk in expected], params

    def test_an_empty_export_is_the_header(self, client_for, manager, owner):
        assert csv_rows(client_for(manager).get(url(owner.company.id, format="csv"))) == [FIXED]

    def test_an_unknown_format_is_422(self, client_for, manager, owner):
        response = client_for(manager).get(url(owner.company.id, format="pdf"))
        assert response.status_code == 422
        assert "format" in response.json()["errors"]

    def test_agents_are_403(self, client_for, owner, company_member):
        response = client_for(company_member(owner.company, "agent")).get(url(owner.company.id))
        assert response.status_code == 403
        assert response.json() == {"message": "Your access level in this company does not allow this action."}


class TestXlsx:
    def test_reads_back_with_the_same_rows(self, client_for, manager, owner):
        LeadFactory(company=owner.company, first_name="Ana & <Co>", notes="=1+1", extra={"k": "v\x01"})
        LeadFactory(company=owner.company, first_name="Bob", phone="+34612345678", extra={})
        client = client_for(manager)

        response = client.get(url(owner.company.id, format="xlsx"))
        rows = xlsx_rows(response)

        assert response["Content-Disposition"].endswith('.xlsx"')
        assert rows[0] == [*FIXED, "k"]
        bob, ana = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
        assert (bob["First Name"], bob["Phone"], bob["k"]) == ("Bob", "+34612345678", "")
        # Inline strings are never evaluated: the text stays as it is (a character XML cannot hold is dropped).
        assert (ana["First Name"], ana["Notes"], ana["k"]) == ("Ana & <Co>", "=1+1", "v")
        assert len(rows) == 3

    def test_more_rows_than_a_sheet_holds_is_422_naming_the_count(self, client_for, manager, owner, settings):
        settings.LEAD_EXPORT_XLSX_MAX_ROWS = 3  # the header and two leads
        LeadFactory.create_batch(3, company=owner.company, stage=stage("Won"))
        client = client_for(manager)

        response = client.get(url(owner.company.id, format="xlsx"))

        assert response.status_code == 422
        (reason,) = response.json()["errors"]["format"]
        assert reason.startswith("3 leads do not fit in an XLSX sheet (at most 2 rows below the header)")
        assert "CSV" in reason and "filter" in reason
        assert len(csv_rows(client.get(url(owner.company.id, format="csv")))) == 4  # CSV has no such limit

    def test_exactly_full_is_allowed(self, client_for, manager, owner, settings):
        settings.LEAD_EXPORT_XLSX_MAX_ROWS = 3
        LeadFactory.create_batch(2, company=owner.company)
        assert len(xlsx_rows(client_for(manager).get(url(owner.company.id, format="xlsx")))) == 3
