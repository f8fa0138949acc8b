import pytest
from django.db import IntegrityError, connection, transaction

from companies.models import Cycle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def cycles_url(company) -> str:
    return f"/api/v1/companies/{company.id}/cycles"


@pytest.fixture
def enabled(owner, client_for):
    response = client_for(owner).put(cycles_url(owner.company), {"cycles_enabled": True}, format="json")
    assert response.status_code == 200
    return owner.company


def create(client, company, name, starts_on, ends_on):
    return client.post(cycles_url(company), {"name": name, "starts_on": starts_on, "ends_on": ends_on}, format="json")


def test_flag_answers_with_the_company(client_for, owner):
    response = client_for(owner).put(cycles_url(owner.company), {"cycles_enabled": True}, format="json")
    assert response.json()["company"]["cycles_enabled"] is True
    response = client_for(owner).put(cycles_url(owner.company), {"cycles_enabled": False}, format="json")
    assert response.json()["company"]["cycles_enabled"] is False


def test_flag_needs_a_boolean(client_for, owner):
    assert client_for(owner).put(cycles_url(owner.company), {}, format="json").status_code == 422


def test_create_a_cycle(client_for, owner, enabled):
    response = create(client_for(owner), enabled, "2026-Q1", "2026-01-01", "2026-03-31")
    assert response.status_code == 201
    body = response.json()["cycle"]
    assert {k: body[k] for k in ("company_id", "name", "starts_on", "ends_on")} == {
        "company_id": enabled.id,
        "name": "2026-Q1",
        "starts_on": "2026-01-01",
        "ends_on": "2026-03-31",
    }


def test_flag_off_is_422(client_for, owner):
    response = create(client_for(owner), owner.company, "Q1", "2026-01-01", "2026-03-31")
    assert response.status_code == 422
    assert "disabled" in response.json()["errors"]["base"][0]
    assert not Cycle.objects.exists()


def test_ends_before_it_starts_is_422(client_for, owner, enabled):
    response = create(client_for(owner), enabled, "Q1", "2026-03-31", "2026-01-01")
    assert response.status_code == 422
    assert "ends_on" in response.json()["errors"]


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        ("2026-03-31", "2026-06-30"),
        ("2025-12-01", "2026-01-01"),
        ("2026-02-01", "2026-02-02"),
        ("2025-01-01", "2027-01-01"),
    ],
)
def test_overlapping_cycles_are_422(client_for, owner, enabled, starts_on, ends_on):
    client = client_for(owner)
    create(client, enabled, "Q1", "2026-01-01", "2026-03-31")
    response = create(client, enabled, "Other", starts_on, ends_on)
    assert response.status_code == 422
    assert "Overlaps" in response.json()["errors"]["starts_on"][0]
    assert Cycle.objects.count() == 1


def test_adjacent_cycles_and_other_companies_do_not_overlap(client_for, owner, enabled, user):
    client = client_for(owner)
    create(client, enabled, "Q1", "2026-01-01", "2026-03-31")
    assert create(client, enabled, "Q2", "2026-04-01", "2026-06-30").status_code == 201
    other = client_for(user)
    other_company_id = other.post("/api/v1/companies", {"name": "Other"}, format="json").json()["company"]["id"]
    other.put(f"/api/v1/companies/{other_company_id}/cycles", {"cycles_enabled": True}, format="json")
    response = other.post(
        f"/api/v1/companies/{other_company_id}/cycles",
        {"name": "Q1", "starts_on": "2026-01-01", "ends_on": "2026-03-31"},
        format="json",
    )
    assert response.status_code == 201


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
def test_database_refuses_overlaps_that_skip_the_service(owner):
    Cycle.objects.create(company=owner.company, name="Q1", starts_on="2026-01-01", ends_on="2026-03-31")
    with pytest.raises(IntegrityError), transaction.atomic():
        Cycle.objects.create(company=owner.company, name="X", starts_on="2026-03-31", ends_on="2026-04-30")


@pytest.mark.parametrize("level", ["manager", "agent"])
def test_below_admin_is_403(client_for, owner, company_member, level, enabled):
    client = client_for(company_member(owner.company, level))
    assert client.put(cycles_url(owner.company), {"cycles_enabled": False}, format="json").status_code == 403
    assert create(client, owner.company, "Q1", "2026-01-01", "2026-03-31").status_code == 403


def test_outsider_is_404(client_for, owner, enabled):
    client = client_for(UserFactory())
    assert client.put(cycles_url(owner.company), {"cycles_enabled": False}, format="json").status_code == 404
    assert create(client, owner.company, "Q1", "2026-01-01", "2026-03-31").status_code == 404
