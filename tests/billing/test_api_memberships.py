import pytest

from billing.models import Membership, Subscription
from billing.selectors import current_membership, max_leads_per_import, max_users
from companies.services import company_create
from tests.factories import UserFactory, membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(owner):
    """A company created through the service, so it starts on the free plan like every real one."""
    company = company_create(user=owner, name="Acme")
    owner.company = company
    return company


def plan(name: str) -> Membership:
    return membership(name)


def test_plans_are_seeded_with_integer_limits(client_for, user):
    body = client_for(user).get("/api/v1/memberships").json()
    plans = {p["name"]: p for p in body["memberships"]}
    assert set(plans) == {"Free", "Pro", "Business"}
    assert (plans["Free"]["max_users"], plans["Free"]["max_leads_per_import"]) == (3, 1_000)
    assert (plans["Pro"]["max_users"], plans["Pro"]["max_leads_per_import"]) == (10, 100_000)
    assert (plans["Business"]["max_users"], plans["Business"]["max_leads_per_import"]) == (50, 1_048_576)
    assert body["meta"]["total_count"] == 3


def test_show_a_plan_and_unknown_plan_is_404(client_for, user):
    client = client_for(user)
    pro = plan("Pro")
    assert client.get(f"/api/v1/memberships/{pro.id}").json()["membership"]["price_cents"] == 4900
    assert client.get("/api/v1/memberships/999999").status_code == 404
    assert client.get(f"/api/v1/memberships/{2**70}").status_code == 404


def test_memberships_need_a_jwt(api_client):
    assert api_client.get("/api/v1/memberships").status_code == 401


def test_new_company_is_on_the_free_plan(company):
    assert current_membership(company=company).is_free
    assert max_users(company=company) == 3
    assert max_leads_per_import(company=company) == 1_000


def test_attach_replaces_the_current_subscription(client_for, company):
    response = client_for(company.user_accesses.get().user).post(
        f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Pro").id}, format="json"
    )
    assert response.status_code == 201
    body = response.json()["subscription"]
    assert body["membership"]["name"] == "Pro"
    assert body["status"] == "active"
    assert body["company_id"] == company.id
    statuses = list(Subscription.objects.filter(company=company).values_list("membership__name", "status"))
    assert sorted(statuses) == [("Free", "cancelled"), ("Pro", "active")]
    assert max_leads_per_import(company=company) == 100_000


def test_attach_takes_membership_id_from_the_query(client_for, owner, company):
    response = client_for(owner).post(f"/api/v1/companies/{company.id}/membership?membership_id={plan('Business').id}")
    assert response.status_code == 201
    assert current_membership(company=company).name == "Business"


def test_company_shows_its_current_membership(client_for, owner, company):
    client = client_for(owner)
    assert client.get(f"/api/v1/companies/{company.id}").json()["company"]["membership"]["name"] == "Free"
    client.post(f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Pro").id}, format="json")
    assert client.get(f"/api/v1/companies/{company.id}").json()["company"]["membership"]["name"] == "Pro"


@pytest.mark.parametrize("membership_id", [999999, "abc", None, 2**70])
def test_unknown_membership_id_is_a_422_field_error(client_for, owner, company, membership_id):
    body = {} if membership_id is None else {"membership_id": membership_id}
    response = client_for(owner).post(f"/api/v1/companies/{company.id}/membership", body, format="json")
    assert response.status_code == 422
    assert "membership_id" in response.json()["errors"]


def test_attaching_the_current_plan_is_409(client_for, owner, company):
    response = client_for(owner).post(
        f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Free").id}, format="json"
    )
    assert response.status_code == 409


def test_attaching_a_plan_smaller_than_the_company_is_422(client_for, owner, company, company_member):
    client = client_for(owner)
    client.post(f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Pro").id}, format="json")
    for _ in range(3):
        company_member(company, "agent")
    response = client.post(
        f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Free").id}, format="json"
    )
    assert response.status_code == 422
    assert "3 users" in response.json()["errors"]["membership_id"][0]
    assert current_membership(company=company).name == "Pro"


def test_cancel_returns_to_free_and_cancel_twice_is_409(client_for, owner, company):
    client = client_for(owner)
    client.post(f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Pro").id}, format="json")
    response = client.post(f"/api/v1/companies/{company.id}/membership/cancel")
    assert response.status_code == 200
    cancelled = response.json()["subscription"]
    assert cancelled["membership"]["name"] == "Pro"
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"] is not None
    assert current_membership(company=company).is_free

    again = client.post(f"/api/v1/companies/{company.id}/membership/cancel")
    assert again.status_code == 409
    assert again.json() == {"message": "The company is already on the free plan."}


def test_only_one_active_subscription_per_company_in_the_database(company):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.create(company=company, membership=plan("Pro"), started_at=timezone.now())


@pytest.mark.parametrize("level", ["manager", "agent"])
def test_members_below_admin_cannot_change_the_plan(client_for, company, company_member, level):
    client = client_for(company_member(company, level))
    response = client.post(
        f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Pro").id}, format="json"
    )
    assert response.status_code == 403
    assert client.post(f"/api/v1/companies/{company.id}/membership/cancel").status_code == 403
    assert current_membership(company=company).is_free


def test_outsider_gets_404_on_membership_changes(client_for, company):
    client = client_for(UserFactory())
    response = client.post(
        f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Pro").id}, format="json"
    )
    assert response.status_code == 404
    assert client.post(f"/api/v1/companies/{company.id}/membership/cancel").status_code == 404


def test_paid_subscriptions_have_a_period_end_free_ones_none(client_for, owner, company):
    body = (
        client_for(owner)
        .post(f"/api/v1/companies/{company.id}/membership", {"membership_id": plan("Pro").id}, format="json")
        .json()["subscription"]
    )
    assert body["current_period_end"] > body["started_at"]
    assert Subscription.objects.get(company=company, membership__is_free=True).current_period_end is None


def test_period_end_clamps_to_the_end_of_the_month():
    from datetime import UTC, datetime

    from billing.services import _one_interval_later

    assert _one_interval_later(datetime(2026, 1, 31, tzinfo=UTC), "month") == datetime(2026, 2, 28, tzinfo=UTC)
    assert _one_interval_later(datetime(2026, 12, 15, tzinfo=UTC), "month") == datetime(2027, 1, 15, tzinfo=UTC)
    assert _one_interval_later(datetime(2028, 2, 29, tzinfo=UTC), "year") == datetime(2029, 2, 28, tzinfo=UTC)


def test_plans_come_back_when_the_table_was_emptied():
    from tests.factories import CompanyFactory

    Subscription.objects.all().delete()
    Membership.objects.all().delete()  # what a transactional test's flush does
    assert max_users(company=CompanyFactory()) == 3
    assert set(Membership.objects.values_list("name", flat=True)) == {"Free", "Pro", "Business"}
