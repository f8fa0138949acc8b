import io

import pytest

from campaigns.models import Lead
from imports.models import ImportFile
from imports.services import import_file_process
from tests.factories import CampaignFactory, CompanyFactory
from tests.imports.conftest import stored_files

Status = ImportFile.Status
URL = "/api/v1/import"


def upload(client, company_id, content: bytes, name="leads.csv", **fields):
    body = {"company_id": company_id, "file": io.BytesIO(content), **fields}
    body["file"].name = name
    return client.post(URL, body, format="multipart")


CSV = b"First Name,Email,Phone\nAna,ana@example.com,612000001\nLuis,bad@@x,612000002\n"


@pytest.mark.django_db
def test_upload_then_process_then_status(owner, client_for, private_root, django_capture_on_commit_callbacks):
    client = client_for(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, owner.company.id, CSV, on_duplicate="skip")
    assert response.status_code == 202, response.json()
    body = response.json()["import_file"]
    assert len(callbacks) == 1  # processing queued once the upload is committed
    assert body["status"] == 0 and body["status_name"] == "pending" and body["total_records"] == 0
    assert body["company"] == {"id": owner.company.id, "name": owner.company.name, "default": True,
                               "parent_company_id": None}  # fmt: skip
    assert body["imported_by"]["email"] == owner.email
    assert body["error_file"] is None and body["error_message"] is None and body["started_at"] is None
    assert body["original_file"] == f"http://testserver/api/v1/import/{body['import_code']}/original_file"
    assert [p.name for p in stored_files(private_root)] == [f"{body['import_code']}.csv"]

    import_file_process(import_file_id=body["id"])
    status = client.get(f"{URL}/{body['import_code']}").json()["import_file"]
    assert (status["status"], status["status_name"]) == (2, "completed")
    assert (status["total_records"], status["processed_records"], status["failed_records"]) == (2, 2, 1)
    assert status["success_rate"] == 50.0
    assert status["started_at"] and status["finished_at"]

    original = client.get(status["original_file"])
    assert original.status_code == 200 and b"".join(original.streaming_content) == CSV
    assert 'filename="leads.csv"' in original["Content-Disposition"]
    errors = client.get(status["error_file"])
    text = b"".join(errors.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["First Name,Email,Phone,row_number,error", "Luis,bad@@x,612000002,3,invalid email"]


@pytest.mark.django_db
def test_outsiders_get_404_everywhere(owner, client_for, user):
    client = client_for(owner)
    code = upload(client, owner.company.id, CSV).json()["import_file"]["import_code"]
    outsider = client_for(user)
    for path in (f"{URL}/{code}", f"{URL}/{code}/original_file", f"{URL}/{code}/error_file"):
        response = outsider.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"message": "Not found."}
    assert outsider.post(f"{URL}/{code}/cancel").status_code == 404
    assert outsider.get(URL, {"company_id": owner.company.id}).status_code == 404
    assert outsider.get(URL).json()["import_files"] == []
    assert upload(outsider, owner.company.id, CSV).status_code == 404
    assert outsider.get(f"{URL}/nonexistent").json() == outsider.get(f"{URL}/{code}").json()


@pytest.mark.django_db
def test_agent_reads_but_cannot_upload_or_cancel(owner, client_for, company_member, private_root):
    code = upload(client_for(owner), owner.company.id, CSV).json()["import_file"]["import_code"]
    agent = client_for(company_member(owner.company, "agent"))
    before = stored_files(private_root)
    assert upload(agent, owner.company.id, CSV).status_code == 403
    assert agent.post(f"{URL}/{code}/cancel").status_code == 403
    assert agent.get(f"{URL}/{code}").status_code == 200
    assert ImportFile.objects.count() == 1 and stored_files(private_root) == before
    manager = client_for(company_member(owner.company, "manager"))
    assert upload(manager, owner.company.id, CSV).status_code == 202


@pytest.mark.parametrize(
    ("content", "name", "fields", "field", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "leads.csv", {}, "file", ""),
        (b"", "leads.csv", {}, "file", ""),
        (b"Name,City\nAna,Madrid\n", "leads.csv", {}, "file", ""),
        (b"Email\n", "leads.csv", {}, "file", ""),
        (CSV, "leads.csv", {"mapping": "{not json"}, "mapping", "JSON"),
        (CSV, "leads.csv", {"on_duplicate": "merge"}, "on_duplicate", ""),
        (CSV, "leads.csv", {"default_country": "XX"}, "default_country", ""),
        (CSV, "leads.csv", {"stage_id": 999999}, "stage_id", ""),
    ],
)
@pytest.mark.django_db
def test_bad_uploads_answer_422_and_store_nothing(
    owner, client_for, private_root, content, name, fields, field, fragment
):
    response = upload(client_for(owner), owner.company.id, content, name=name, **fields)
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["message"] == "Validation failed" and field in body["errors"], body
    assert fragment in body["errors"][field][0]
    assert ImportFile.objects.count() == 0 and stored_files(private_root) == []


@pytest.mark.django_db
def test_campaign_of_another_company_is_a_422(owner, client_for, private_root):
    response = upload(
        client_for(owner), owner.company.id, CSV, campaign_id=CampaignFactory(company=CompanyFactory()).id
    )
    assert response.status_code == 422 and "campaign_id" in response.json()["errors"]
    assert ImportFile.objects.count() == 0 and stored_files(private_root) == []


@pytest.mark.django_db
def test_campaign_and_stage_are_set_on_leads(owner, client_for):
    from tests.factories import stage

    campaign = CampaignFactory(company=owner.company)
    body = upload(client_for(owner), owner.company.id, CSV, campaign_id=campaign.id, stage_id=stage("Contacted").id)
    import_file_process(import_file_id=body.json()["import_file"]["id"])
    lead = Lead.objects.get(company=owner.company)
    assert lead.campaign == campaign and lead.stage.name == "Contacted"


@pytest.mark.django_db
def test_over_the_size_limit_is_413(owner, client_for, settings, private_root):
    settings.IMPORT_MAX_CSV_BYTES = 50
    response = upload(client_for(owner), owner.company.id, CSV + b"x" * 100)
    assert response.status_code == 413 and "message" in response.json()
    assert ImportFile.objects.count() == 0 and stored_files(private_root) == []
    settings.IMPORT_MAX_CSV_BYTES = 512 * 1024 * 1024
    big = client_for(owner).post(URL, data=b"x", content_type="multipart/form-data; boundary=x",
                                 CONTENT_LENGTH=str(600 * 1024 * 1024))  # fmt: skip
    assert big.status_code == 413


@pytest.mark.django_db
def test_an_upload_is_cut_off_as_soon_as_it_passes_the_limit(owner, client_for, settings, private_root):
    settings.IMPORT_MAX_CSV_BYTES = settings.IMPORT_MAX_XLSX_BYTES = 100_000
    response = upload(client_for(owner), owner.company.id, CSV + b"a@example.com,612000003\n" * 10_000)
    assert response.status_code == 413
    assert response.json() == {"message": "The file is larger than the upload limit (100,000 bytes)."}
    assert ImportFile.objects.count() == 0 and stored_files(private_root) == []


@pytest.mark.django_db
def test_list_filters_and_cancel(owner, client_for, company_member):
    client = client_for(owner)
    first = upload(client, owner.company.id, CSV).json()["import_file"]
    second = upload(client, owner.company.id, CSV).json()["import_file"]
    cancelled = client.post(f"{URL}/{first['import_code']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["import_file"]["status_name"] == "cancelled"
    again = client.post(f"{URL}/{first['import_code']}/cancel")
    assert again.status_code == 409 and again.json() == {"message": "This import has already finished."}

    listed = client.get(URL, {"company_id": owner.company.id}).json()
    assert [item["id"] for item in listed["import_files"]] == [second["id"], first["id"]]
    assert listed["meta"]["total_count"] == 2
    for status in ("cancelled", "4", "CANCELLED"):
        assert [i["id"] for i in client.get(URL, {"status": status}).json()["import_files"]] == [first["id"]]
    assert client.get(URL, {"status": "done"}).status_code == 422
    assert client.get(URL, {"status": "9"}).status_code == 422
    assert client.get(URL, {"company_id": "abc"}).status_code == 404
    assert client.get(f"{URL}/{second['import_code']}/error_file").status_code == 404


@pytest.mark.django_db
def test_template(owner, client_for):
    from imports.pipeline.headers import TEMPLATE_HEADER

    response = client_for(owner).get(f"{URL}/template")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").strip() == ",".join(TEMPLATE_HEADER)
    assert client_for(owner).get(f"{URL}/template/").status_code == 200


@pytest.mark.django_db
def test_rows_beyond_the_plan_are_refused_at_upload(owner, client_for, private_root, lead_csv):
    from billing.services import membership_attach
    from tests.factories import membership

    membership_attach(company=owner.company, membership=membership("Free"))
    path, _ = lead_csv(1001)
    response = upload(client_for(owner), owner.company.id, path.read_bytes())
    assert response.status_code == 422
    assert response.json()["errors"]["file"] == [
        "The file has 1,001 data rows; the company's plan allows 1,000 leads per import."
    ]
    assert ImportFile.objects.count() == 0 and stored_files(private_root) == []


@pytest.mark.django_db
def test_malformed_requests_never_500(owner, client_for):
    client = client_for(owner)
    for code in ("%00abc", "a" * 40, "é", "..%2F..%2Fetc"):
        assert client.get(f"{URL}/{code}").status_code == 404, code
        assert client.get(f"{URL}/{code}/error_file").status_code == 404, code
    assert client.post(URL, {"company_id": owner.company.id}, format="multipart").status_code == 422
    assert client.post(URL, {"company_id": owner.company.id, "file": "text"}, format="multipart").status_code == 422
    assert client.post(URL, {"company_id": "x", "file": "text"}, format="multipart").status_code == 404
    assert client.post(URL, {"company_id": owner.company.id}, format="json").status_code == 422
    assert client.get(URL, {"company_id": "-1"}).status_code == 404
    assert client.get(URL, {"status": "\x00"}).status_code == 422
    assert upload(client, owner.company.id, CSV, mapping='{"Email\\u0000": "email"}').status_code == 422
    named = upload(client, owner.company.id, CSV, name="le\x00ads.csv")
    assert named.status_code == 202 and ImportFile.objects.get().original_name == "leads.csv"


@pytest.mark.django_db
def test_polling_an_import_reads_it_and_the_callers_level_in_one_query(owner, client_for, django_assert_num_queries):
    client = client_for(owner)
    code = upload(client, owner.company.id, CSV).json()["import_file"]["import_code"]
    client.get(f"{URL}/{code}")  # warm: the first request of a client may read more (e.g. the user's session)
    with django_assert_num_queries(2) as queries:  # the token's user, then the import with the level
        response = client.get(f"{URL}/{code}")
    assert response.status_code == 200 and response.json()["import_file"]["import_code"] == code
    assert "access" in queries.captured_queries[-1]["sql"].lower()
