"""Endpoints 59 and 60: change one lead (partial) and delete it."""

import pytest

from campaigns.models import Lead
from tests.factories import CampaignFactory, CompanyFactory, LeadFactory, stage

pytestmark = pytest.mark.django_db


def url(lead_id):
    return f"/api/v1/leads/{lead_id}"


def row(lead):
    """Every stored column of the lead, to assert that a refused edit changed nothing."""
    return Lead.objects.filter(pk=lead.pk).values().get()


@pytest.fixture
def manager(owner, company_member):
    return company_member(owner.company, "manager")


@pytest.fixture
def agent(owner, company_member):
    return company_member(owner.company, "agent")


class TestUpdate:
    def test_changes_only_the_fields_sent_normalized_as_an_import(self, client_for, manager, owner):
        owner.company.country = "ES"
        owner.company.save()
        lead = LeadFactory(company=owner.company, first_name="Ana", last_name="García", notes="old")
        body = {"email": "  Ana.Garcia@Example.COM ", "phone": "612 34 56 78", "country": "Spain", "city": " Madrid "}

        response = client_for(manager).put(url(lead.id), body, format="json")

        assert response.status_code == 200, response.json()
        got = response.json()["lead"]
        assert (got["email"], got["phone"], got["country"], got["city"]) == (
            "ana.garcia@example.com",
            "+34612345678",
            "ES",
            "Madrid",
        )
        assert (got["first_name"], got["last_name"], got["notes"]) == ("Ana", "García", "old")
        lead.refresh_from_db()
        assert (lead.email, lead.phone, lead.country) == ("ana.garcia@example.com", "+34612345678", "ES")

    def test_stage_and_campaign_of_the_company(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company)
        campaign = CampaignFactory(company=owner.company)
        won = stage("Won")
        body = {"stage_id": won.id, "campaign_id": campaign.id}

        got = client_for(manager).put(url(lead.id), body, format="json").json()["lead"]

        assert (got["stage"]["name"], got["campaign_id"]) == ("Won", campaign.id)
        cleared = client_for(manager).put(url(lead.id), {"stage_id": None, "campaign_id": None}, format="json")
        assert (cleared.json()["lead"]["stage"], cleared.json()["lead"]["campaign_id"]) == (None, None)

    def test_extra_keys_are_merged_and_null_removes_one(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company, extra={"colour": "blue", "size": "L", "keep": "me"})

        response = client_for(manager).put(
            url(lead.id), {"extra": {"colour": "red", "size": None, "new": "x", "absent": None}}, format="json"
        )

        assert response.json()["lead"]["extra"] == {"colour": "red", "keep": "me", "new": "x"}
        lead.refresh_from_db()
        assert lead.extra == {"colour": "red", "keep": "me", "new": "x"}

    @pytest.mark.parametrize(
        ("body", "field", "reason"),
        [
            ({"email": "not-an-email"}, "email", "invalid email"),
            ({"phone": "12"}, "phone", "invalid phone"),
            ({"country": "Spainn"}, "country", 'country "Spainn" not recognised'),
            ({"first_name": "x" * 151}, "first_name", "first_name is longer than 150 characters"),
        ],
    )
    def test_an_invalid_value_is_422_on_its_field_and_nothing_changes(
        self, client_for, manager, owner, body, field, reason
    ):
        lead = LeadFactory(company=owner.company)
        before = row(lead)

        response = client_for(manager).put(url(lead.id), {**body, "notes": "changed?"}, format="json")

        assert response.status_code == 422
        assert response.json()["errors"] == {field: [reason]}
        assert row(lead) == before

    def test_a_lead_keeps_an_email_or_a_phone(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company, email="a@example.com", phone=None)
        before = row(lead)
        response = client_for(manager).put(url(lead.id), {"email": None}, format="json")
        assert response.status_code == 422
        assert response.json()["errors"] == {"base": ["email or phone is required"]}
        assert row(lead) == before

    def test_stage_that_does_not_exist_and_campaign_of_another_company_are_422(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company)
        foreign = CampaignFactory(company=CompanyFactory())
        before = row(lead)

        response = client_for(manager).put(
            url(lead.id), {"stage_id": 999_999, "campaign_id": foreign.id, "notes": "x"}, format="json"
        )

        assert response.status_code == 422
        assert set(response.json()["errors"]) == {"stage_id", "campaign_id"}
        assert row(lead) == before


class TestDuplicates:
    """Decided by the unique indexes (the write's IntegrityError), on SQLite and PostgreSQL alike."""

    def test_an_email_another_lead_holds_is_422_duplicate_whatever_its_case(self, client_for, manager, owner):
        LeadFactory(company=owner.company, email="taken@example.com")
        lead = LeadFactory(company=owner.company, email="mine@example.com")
        before = row(lead)

        response = client_for(manager).put(url(lead.id), {"email": "TAKEN@example.com", "notes": "x"}, format="json")

        assert response.status_code == 422
        assert response.json()["errors"] == {"email": ["duplicate"]}
        assert row(lead) == before

    def test_a_phone_another_lead_holds_is_422_duplicate(self, client_for, manager, owner):
        LeadFactory(company=owner.company, phone="+34612345678")
        lead = LeadFactory(company=owner.company)
        before = row(lead)

        response = client_for(manager).put(url(lead.id), {"phone": "+34 612 345 678"}, format="json")

        assert response.status_code == 422
        assert response.json()["errors"] == {"phone": ["duplicate"]}
        assert row(lead) == before

    def test_the_same_values_in_another_company_are_no_duplicate(self, client_for, manager, owner):
        LeadFactory(company=CompanyFactory(), email="taken@example.com", phone="+34612345678")
        lead = LeadFactory(company=owner.company)
        body = {"email": "taken@example.com", "phone": "+34612345678"}
        assert client_for(manager).put(url(lead.id), body, format="json").status_code == 200

    def test_keeping_its_own_email_is_no_duplicate(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company, email="mine@example.com")
        response = client_for(manager).put(url(lead.id), {"email": "MINE@example.com"}, format="json")
        assert response.status_code == 200

    def test_no_select_decides_it(self, client_for, manager, owner):
        """The new email is looked up by no query: it appears only in the UPDATE the index refuses."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        LeadFactory(company=owner.company, email="taken@example.com")
        lead = LeadFactory(company=owner.company)
        client = client_for(manager)
        with CaptureQueriesContext(connection) as queries:
            response = client.put(url(lead.id), {"email": "taken@example.com"}, format="json")
        assert response.status_code == 422
        naming = [q["sql"].lstrip().split()[0].upper() for q in queries if "taken@example.com" in q["sql"]]
        assert naming == ["UPDATE"]


class TestLevels:
    def test_an_agent_changes_the_stage_and_the_notes(self, client_for, agent, owner):
        lead = LeadFactory(company=owner.company)
        body = {"stage_id": stage("Contacted").id, "notes": "called, call back Monday"}
        response = client_for(agent).put(url(lead.id), body, format="json")
        assert response.status_code == 200
        lead.refresh_from_db()
        assert (lead.stage.name, lead.notes) == ("Contacted", "called, call back Monday")

    @pytest.mark.parametrize("field", ["first_name", "email", "campaign_id", "extra"])
    def test_an_agent_sending_any_other_field_is_403_and_nothing_changes(self, client_for, agent, owner, field):
        lead = LeadFactory(company=owner.company)
        before = row(lead)
        value = {"first_name": "X", "email": "x@example.com", "campaign_id": None, "extra": {"a": "b"}}[field]
        response = client_for(agent).put(url(lead.id), {"notes": "n", field: value}, format="json")
        assert response.status_code == 403
        assert row(lead) == before

    def test_another_companys_lead_is_404(self, client_for, manager):
        lead = LeadFactory()
        before = row(lead)
        assert client_for(manager).put(url(lead.id), {"notes": "x"}, format="json").status_code == 404
        assert client_for(manager).delete(url(lead.id)).status_code == 404
        assert row(lead) == before


class TestDelete:
    def test_a_manager_deletes_a_lead(self, client_for, manager, owner):
        lead = LeadFactory(company=owner.company)
        kept = LeadFactory(company=owner.company)
        response = client_for(manager).delete(url(lead.id))
        assert response.status_code == 200
        assert response.json() == {"message": "Lead deleted."}
        assert list(Lead.objects.values_list("pk", flat=True)) == [kept.pk]
        assert client_for(manager).get(url(lead.id)).status_code == 404

    def test_an_agent_cannot(self, client_for, agent, owner):
        lead = LeadFactory(company=owner.company)
        assert client_for(agent).delete(url(lead.id)).status_code == 403
        assert Lead.objects.filter(pk=lead.pk).exists()
