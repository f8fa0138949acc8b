import pytest

from imports.models import ImportFile
from tests.factories import CampaignFactory, LeadFactory, stage

pytestmark = pytest.mark.django_db


def url(company_id):
    return f"/api/v1/companies/{company_id}/leads"


def ids(response):
    assert response.status_code == 200, response.json()
    return [lead["id"] for lead in response.json()["leads"]]


class TestList:
    def test_lists_the_companys_leads_in_the_contract_shape(self, client_for, owner, company_member):
        campaign = CampaignFactory(company=owner.company)
        upload = ImportFile.objects.create(company=owner.company, original_file="imports/originals/a.csv")
        lead = LeadFactory(
            company=owner.company, campaign=campaign, stage=stage("Contacted"), import_file=upload,
            phone="+34612345678", country="ES", extra={"Favourite colour": "blue"},
        )  # fmt: skip
        LeadFactory()  # another company's
        agent = company_member(owner.company, "agent")

        response = client_for(agent).get(url(owner.company.id))

        assert ids(response) == [lead.id]
        body = response.json()["leads"][0]
        assert body == {
            "id": lead.id, "company_id": owner.company.id, "campaign_id": campaign.id,
            "stage": {"id": lead.stage.id, "name": "Contacted", "position": 2},
            "first_name": lead.first_name, "last_name": lead.last_name, "email": lead.email,
            "phone": "+34612345678", "company_name": "", "job_title": "", "city": "", "country": "ES",
            "source": "", "notes": "", "extra": {"Favourite colour": "blue"},
            "import_code": upload.import_code, "created_at": body["created_at"],
        }  # fmt: skip

    def test_a_lead_without_stage_or_import_has_nulls(self, client_for, owner):
        LeadFactory(company=owner.company, email=None, phone="+34612345678")
        lead = client_for(owner).get(url(owner.company.id)).json()["leads"][0]
        assert lead["stage"] is None
        assert lead["import_code"] is None
        assert lead["email"] is None

    def test_filters_by_stage_campaign_and_import_code(self, client_for, owner):
        campaign = CampaignFactory(company=owner.company)
        upload = ImportFile.objects.create(company=owner.company, original_file="imports/originals/a.csv")
        won = LeadFactory(company=owner.company, stage=stage("Won"))
        in_campaign = LeadFactory(company=owner.company, campaign=campaign)
        imported = LeadFactory(company=owner.company, import_file=upload)
        client = client_for(owner)
        base = url(owner.company.id)
        assert ids(client.get(f"{base}?stage_id={won.stage_id}")) == [won.id]
        assert ids(client.get(f"{base}?campaign_id={campaign.id}")) == [in_campaign.id]
        assert ids(client.get(f"{base}?import_code={upload.import_code}")) == [imported.id]
        assert ids(client.get(f"{base}?import_code=nope")) == []
        assert len(ids(client.get(f"{base}?stage_id="))) == 3  # empty filter = no filter

    def test_searches_names_email_phone_and_company_name(self, client_for, owner):
        ana = LeadFactory(company=owner.company, first_name="Ana", last_name="García", email="ana@acme.test")
        bob = LeadFactory(company=owner.company, first_name="Bob", phone="+34612345678", company_name="Initech")
        client = client_for(owner)
        base = url(owner.company.id)
        assert ids(client.get(f"{base}?q=ana garcía")) == [ana.id]
        assert ids(client.get(f"{base}?q=ACME")) == [ana.id]
        assert ids(client.get(f"{base}?q=612345")) == [bob.id]
        assert ids(client.get(f"{base}?q=initech")) == [bob.id]
        assert ids(client.get(f"{base}?q=nobody")) == []

    def test_orders_by_a_whitelisted_field(self, client_for, owner):
        zed = LeadFactory(company=owner.company, first_name="Zed")
        amy = LeadFactory(company=owner.company, first_name="Amy")
        client = client_for(owner)
        assert ids(client.get(url(owner.company.id) + "?ordering=first_name")) == [amy.id, zed.id]
        assert ids(client.get(url(owner.company.id) + "?ordering=-first_name")) == [zed.id, amy.id]
        assert ids(client.get(url(owner.company.id))) == [amy.id, zed.id]  # newest first

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("ordering=password", "ordering"),
            ("stage_id=abc", "stage_id"),
            ("campaign_id=-1", "campaign_id"),
            (f"stage_id={10**30}", "stage_id"),
            ("q=" + "x" * 10_000, "q"),
        ],
    )
    def test_bad_parameters_are_422(self, client_for, owner, query, field):
        response = client_for(owner).get(url(owner.company.id) + "?" + query)
        assert response.status_code == 422
        assert field in response.json()["errors"]

    def test_outsider_gets_404(self, client_for, owner, outsider):
        LeadFactory(company=owner.company)
        response = client_for(outsider).get(url(owner.company.id))
        assert response.status_code == 404

    @pytest.mark.parametrize("per_page", [1, 100])
    def test_costs_constant_queries(self, client_for, owner, django_assert_max_num_queries, per_page):
        campaign = CampaignFactory(company=owner.company)
        upload = ImportFile.objects.create(company=owner.company, original_file="imports/originals/a.csv")
        for index in range(100):
            LeadFactory(
                company=owner.company, campaign=campaign, import_file=upload,
                stage=stage(["New", "Contacted", "Won"][index % 3]),
            )  # fmt: skip
        client = client_for(owner)
        # The fifth: `q` reads the company's not-yet-indexed lead ranges (campaigns/search.py).
        with django_assert_max_num_queries(5):
            response = client.get(url(owner.company.id) + f"?per_page={per_page}&q=example")
        assert len(response.json()["leads"]) == per_page
        assert all(lead["import_code"] == upload.import_code for lead in response.json()["leads"])


class TestShow:
    def test_shows_a_lead(self, client_for, owner, company_member):
        lead = LeadFactory(company=owner.company, stage=stage("New"))
        agent = company_member(owner.company, "agent")
        response = client_for(agent).get(f"/api/v1/leads/{lead.id}")
        assert response.status_code == 200
        assert response.json()["lead"]["id"] == lead.id
        assert response.json()["lead"]["stage"]["name"] == "New"

    def test_outsider_gets_the_same_404_as_a_missing_lead(self, client_for, owner, outsider):
        lead = LeadFactory(company=owner.company)
        hidden = client_for(outsider).get(f"/api/v1/leads/{lead.id}")
        missing = client_for(outsider).get(f"/api/v1/leads/{lead.id + 1000}")
        huge = client_for(outsider).get(f"/api/v1/leads/{10**30}")
        assert hidden.status_code == missing.status_code == huge.status_code == 404
        assert hidden.content == missing.content == huge.content

    def test_needs_a_token(self, api_client):
        lead = LeadFactory()
        assert api_client.get(f"/api/v1/leads/{lead.id}").status_code == 401
