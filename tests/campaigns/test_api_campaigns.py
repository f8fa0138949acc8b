import datetime

import pytest

from campaigns.models import Campaign
from tests.factories import CampaignFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def url(company_id):
    return f"/api/v1/companies/{company_id}/campaigns"


class TestList:
    def test_lists_the_companys_campaigns_with_question_counts(self, client_for, owner):
        spring = CampaignFactory(company=owner.company, name="Spring")
        QuestionFactory.create_batch(3, campaign=spring)
        CampaignFactory(company=owner.company, name="Webinar", status=Campaign.Status.DRAFT)
        CampaignFactory(name="Someone else's")

        response = client_for(owner).get(url(owner.company.id))

        assert response.status_code == 200
        body = response.json()
        assert body["meta"]["total_count"] == 2
        by_name = {campaign["name"]: campaign for campaign in body["campaigns"]}
        assert set(by_name) == {"Spring", "Webinar"}
        assert by_name["Spring"]["questions_count"] == 3
        assert by_name["Webinar"]["questions_count"] == 0
        assert set(by_name["Spring"]) == {
            "id", "company_id", "name", "status", "starts_on", "ends_on", "questions_count", "created_at",
        }  # fmt: skip

    def test_filters_by_status(self, client_for, owner):
        CampaignFactory(company=owner.company, status=Campaign.Status.ACTIVE)
        draft = CampaignFactory(company=owner.company, status=Campaign.Status.DRAFT)
        body = client_for(owner).get(url(owner.company.id) + "?status=draft").json()
        assert [campaign["id"] for campaign in body["campaigns"]] == [draft.id]

    def test_unknown_status_is_422(self, client_for, owner):
        response = client_for(owner).get(url(owner.company.id) + "?status=bogus")
        assert response.status_code == 422
        assert "status" in response.json()["errors"]

    def test_agent_can_read(self, client_for, owner, company_member):
        CampaignFactory(company=owner.company)
        agent = company_member(owner.company, "agent")
        assert client_for(agent).get(url(owner.company.id)).json()["meta"]["total_count"] == 1

    def test_outsider_gets_404(self, client_for, owner, outsider):
        response = client_for(outsider).get(url(owner.company.id))
        assert response.status_code == 404
        assert response.json() == {"message": "Not found."}

    def test_unknown_company_gets_the_same_404(self, client_for, owner, outsider):
        hidden = client_for(outsider).get(url(owner.company.id))
        missing = client_for(outsider).get(url(10**30))
        assert missing.status_code == 404
        assert missing.content == hidden.content

    @pytest.mark.parametrize("per_page", [1, 100])
    def test_costs_constant_queries(self, client_for, owner, django_assert_max_num_queries, per_page):
        for campaign in CampaignFactory.create_batch(100, company=owner.company):
            QuestionFactory(campaign=campaign)
        client = client_for(owner)
        with django_assert_max_num_queries(4):
            response = client.get(url(owner.company.id) + f"?per_page={per_page}")
        assert len(response.json()["campaigns"]) == per_page


class TestCreate:
    def test_manager_creates_a_campaign(self, client_for, owner, company_member):
        manager = company_member(owner.company, "manager")
        response = client_for(manager).post(
            url(owner.company.id),
            {"name": "Spring fair", "starts_on": "2026-03-01", "ends_on": "2026-03-31"},
            format="json",
        )
        assert response.status_code == 201
        campaign = response.json()["campaign"]
        assert campaign["name"] == "Spring fair"
        assert campaign["company_id"] == owner.company.id
        assert campaign["status"] == "active"
        assert campaign["questions_count"] == 0
        saved = Campaign.objects.get(pk=campaign["id"])
        assert saved.starts_on == datetime.date(2026, 3, 1)

    def test_forbidden_fields_are_ignored(self, client_for, owner, outsider):
        response = client_for(owner).post(
            url(owner.company.id),
            {"name": "X", "company_id": outsider.company.id, "status": "finished", "id": 999999},
            format="json",
        )
        assert response.status_code == 201
        campaign = Campaign.objects.get(pk=response.json()["campaign"]["id"])
        assert campaign.company == owner.company
        assert campaign.status == Campaign.Status.ACTIVE
        assert campaign.pk != 999999

    def test_agent_gets_403(self, client_for, owner, company_member):
        agent = company_member(owner.company, "agent")
        response = client_for(agent).post(url(owner.company.id), {"name": "X"}, format="json")
        assert response.status_code == 403
        assert not Campaign.objects.exists()

    def test_outsider_gets_404(self, client_for, owner, outsider):
        response = client_for(outsider).post(url(owner.company.id), {"name": "X"}, format="json")
        assert response.status_code == 404
        assert not Campaign.objects.exists()

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "name"),
            ({"name": ""}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"name": "X", "starts_on": "not a date"}, "starts_on"),
            ({"name": "X", "starts_on": "2026-03-31", "ends_on": "2026-03-01"}, "ends_on"),
        ],
    )
    def test_bad_input_is_422(self, client_for, owner, body, field):
        response = client_for(owner).post(url(owner.company.id), body, format="json")
        assert response.status_code == 422
        assert field in response.json()["errors"]
        assert not Campaign.objects.exists()


class TestShow:
    def test_shows_a_campaign(self, client_for, owner, company_member):
        campaign = CampaignFactory(company=owner.company)
        QuestionFactory.create_batch(2, campaign=campaign)
        agent = company_member(owner.company, "agent")
        response = client_for(agent).get(f"/api/v1/campaigns/{campaign.id}/")
        assert response.status_code == 200
        assert response.json()["campaign"]["id"] == campaign.id
        assert response.json()["campaign"]["questions_count"] == 2

    def test_outsider_gets_the_same_404_as_a_missing_campaign(self, client_for, owner, outsider):
        campaign = CampaignFactory(company=owner.company)
        hidden = client_for(outsider).get(f"/api/v1/campaigns/{campaign.id}")
        missing = client_for(outsider).get(f"/api/v1/campaigns/{campaign.id + 1000}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
