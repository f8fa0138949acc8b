"""Endpoint 61: one action over many leads, by ids or by the list's filters, all or nothing, one statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Lead
from imports.models import ImportFile
from tests.factories import CampaignFactory, CompanyFactory, LeadFactory, stage

pytestmark = pytest.mark.django_db


def url(company_id):
    return f"/api/v1/companies/{company_id}/leads/bulk"


def rows():
    """Every lead row, to assert that a refused request changed nothing."""
    return list(Lead.objects.order_by("pk").values())


@pytest.fixture
def manager(owner, company_member):
    return company_member(owner.company, "manager")


@pytest.fixture
def agent(owner, company_member):
    return company_member(owner.company, "agent")


def lead_statements(queries, verb):
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verb) and "campaigns_lead" in q["sql"]]


class TestByIds:
    def test_move_stage_moves_exactly_the_ids_in_one_update(self, client_for, agent, owner):
        moved = [LeadFactory(company=owner.company) for _ in range(3)]
        untouched = LeadFactory(company=owner.company)
        won = stage("Won")
        client = client_for(agent)

        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                url(owner.company.id),
                {"action": "move_stage", "stage_id": won.id, "lead_ids": [lead.id for lead in moved]},
                format="json",
            )

        assert response.status_code == 200, response.json()
        assert response.json() == {"affected": 3}
        assert set(Lead.objects.filter(stage=won).values_list("pk", flat=True)) == {lead.pk for lead in moved}
        untouched.refresh_from_db()
        assert untouched.stage_id is None
        assert len(lead_statements(queries, "UPDATE")) == 1

    def test_assign_campaign_and_delete(self, client_for, manager, owner):
        leads = [LeadFactory(company=owner.company) for _ in range(3)]
        campaign = CampaignFactory(company=owner.company)
        client = client_for(manager)
        ids = [lead.id for lead in leads]

        assigned = client.post(
            url(owner.company.id), {"action": "assign_campaign", "campaign_id": campaign.id, "lead_ids": ids}, "json"
        )
        assert assigned.json() == {"affected": 3}
        assert Lead.objects.filter(campaign=campaign).count() == 3

        with CaptureQueriesContext(connection) as queries:
            deleted = client.post(url(owner.company.id), {"action": "delete", "lead_ids": ids[:2]}, format="json")
        assert deleted.json() == {"affected": 2}
        assert list(Lead.objects.values_list("pk", flat=True)) == [ids[2]]
        assert len(lead_statements(queries, "DELETE")) == 1

    def test_an_id_of_another_company_is_422_and_nothing_changes(self, client_for, manager, owner):
        mine = LeadFactory(company=owner.company)
        theirs = LeadFactory(company=CompanyFactory())
        before = rows()
        for action, extra in (("move_stage", {"stage_id": stage("Won").id}), ("delete", {})):
            response = client_for(manager).post(
                url(owner.company.id), {"action": action, "lead_ids": [mine.id, theirs.id], **extra}, format="json"
            )
            assert response.status_code == 422
            assert response.json()["errors"] == {"lead_ids": [f"Not leads of this company: {theirs.id}."]}
        assert rows() == before

    def test_more_than_10000_ids_is_422(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company)
        before = rows()
        response = client_for(manager).post(
            url(owner.company.id), {"action": "delete", "lead_ids": [lead.id] * 10_001}, format="json"
        )
        assert response.status_code == 422
        assert "lead_ids" in response.json()["errors"]
        assert rows() == before

    def test_10000_ids_at_once(self, client_for, manager, owner):
        """The largest request, on SQLite too (more ids than its default bound parameters)."""
        leads = Lead.objects.bulk_create(
            Lead(company=owner.company, email=f"bulk{n}@example.com") for n in range(10_000)
        )
        response = client_for(manager).post(
            url(owner.company.id),
            {"action": "move_stage", "stage_id": stage("Qualified").id, "lead_ids": [lead.pk for lead in leads]},
            format="json",
        )
        assert response.json() == {"affected": 10_000}
        assert Lead.objects.filter(stage__name="Qualified").count() == 10_000


class TestByFilter:
    def test_the_filter_takes_what_the_list_returns(self, client_for, manager, owner):
        campaign = CampaignFactory(company=owner.company)
        upload = ImportFile.objects.create(company=owner.company, original_file="imports/originals/a.csv")
        ana = LeadFactory(company=owner.company, first_name="Ana", campaign=campaign, import_file=upload)
        LeadFactory(company=owner.company, first_name="Ana")  # not in the campaign
        LeadFactory(company=owner.company, first_name="Bob", campaign=campaign, import_file=upload)  # not "ana"
        LeadFactory(company=CompanyFactory(), first_name="Ana")  # another company's
        body = {"campaign_id": campaign.id, "import_code": upload.import_code, "q": "ana"}
        client = client_for(manager)
        listed = client.get(f"/api/v1/companies/{owner.company.id}/leads", body).json()["leads"]
        assert [lead["id"] for lead in listed] == [ana.id]

        response = client.post(
            url(owner.company.id), {"action": "move_stage", "stage_id": stage("Lost").id, "filter": body}, format="json"
        )

        assert response.json() == {"affected": 1}
        assert list(Lead.objects.filter(stage__name="Lost").values_list("pk", flat=True)) == [ana.pk]

    def test_an_empty_filter_is_the_whole_list_of_the_company(self, client_for, manager, owner):
        LeadFactory.create_batch(3, company=owner.company)
        other = LeadFactory(company=CompanyFactory())
        response = client_for(manager).post(url(owner.company.id), {"action": "delete", "filter": {}}, format="json")
        assert response.json() == {"affected": 3}
        assert list(Lead.objects.values_list("pk", flat=True)) == [other.pk]

    def test_delete_by_filter_is_one_statement(self, client_for, manager, owner):
        LeadFactory.create_batch(5, company=owner.company, stage=stage("Won"))
        kept = LeadFactory(company=owner.company)
        client = client_for(manager)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                url(owner.company.id), {"action": "delete", "filter": {"stage_id": stage("Won").id}}, format="json"
            )
        assert response.json() == {"affected": 5}
        assert len(lead_statements(queries, "DELETE")) == 1
        assert not lead_statements(queries, "SELECT")
        assert list(Lead.objects.values_list("pk", flat=True)) == [kept.pk]


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"action": "archive", "lead_ids": [1]}, "action"),
            ({"action": "delete"}, "base"),
            ({"action": "delete", "lead_ids": [1], "filter": {}}, "base"),
            ({"action": "move_stage", "lead_ids": [1]}, "stage_id"),
            ({"action": "move_stage", "stage_id": 999_999, "lead_ids": [1]}, "stage_id"),
            ({"action": "assign_campaign", "lead_ids": [1]}, "campaign_id"),
            ({"action": "delete", "lead_ids": []}, "lead_ids"),
            ({"action": "delete", "lead_ids": "1,2"}, "lead_ids"),
            ({"action": "delete", "filter": {"stage_id": "x"}}, "filter"),
        ],
    )
    def test_is_422_on_the_field_and_nothing_changes(self, client_for, manager, owner, body, field):
        lead = LeadFactory(company=owner.company)
        body = {**body, "lead_ids": [lead.id]} if body.get("lead_ids") == [1] else body
        before = rows()
        response = client_for(manager).post(url(owner.company.id), body, format="json")
        assert response.status_code == 422, response.json()
        assert field in response.json()["errors"]
        assert rows() == before

    def test_a_campaign_of_another_company_is_422(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company)
        foreign = CampaignFactory(company=CompanyFactory())
        before = rows()
        response = client_for(manager).post(
            url(owner.company.id),
            {"action": "assign_campaign", "campaign_id": foreign.id, "lead_ids": [lead.id]},
            format="json",
        )
        assert response.status_code == 422
        assert response.json()["errors"] == {"campaign_id": ["Not a campaign of this company."]}
        assert rows() == before

    @pytest.mark.parametrize("action", ["assign_campaign", "delete"])
    def test_an_agent_may_only_move_stages(self, client_for, agent, owner, action):
        lead = LeadFactory(company=owner.company)
        before = rows()
        response = client_for(agent).post(
            url(owner.company.id), {"action": action, "campaign_id": None, "lead_ids": [lead.id]}, format="json"
        )
        assert response.status_code == 403
        assert rows() == before
