"""Races that only a server database shows: two requests at once must not both pass a rule."""

import threading

import pytest
from django.db import connection, connections

from billing.models import Subscription
from companies.models import Cycle, UserAccess
from tests.factories import access, membership

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent sessions need PostgreSQL"),
]


def at_once(*calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_overlapping_cycles_at_once_one_wins(client_for, owner):
    from companies.services import company_create

    company = company_create(user=owner, name="Race")
    company.cycles_enabled = True
    company.save()
    clients = [client_for(owner), client_for(owner)]
    statuses = at_once(
        *[
            (lambda c=c, n=n: c.post(
                f"/api/v1/companies/{company.id}/cycles",
                {"name": f"Q{n}", "starts_on": "2026-01-01", "ends_on": f"2026-03-{20 + n}"},
                format="json",
            ).status_code)
            for n, c in enumerate(clients)
        ]
    )  # fmt: skip
    assert sorted(statuses) == [201, 422]
    assert Cycle.objects.filter(company=company).count() == 1


def test_two_owners_stepping_down_at_once_leave_one_owner(client_for, owner, company_member):
    second = company_member(owner.company, "owner")
    accesses = [owner.user_accesses.get(), second.user_accesses.get()]
    admin_level = access("admin").id
    statuses = at_once(
        *[
            (lambda user=user, ua=ua: client_for(user).put(
                f"/api/v1/users/{user.id}/user_access",
                {"user_accesses_attributes": [{"id": ua.id, "access_id": admin_level}]},
                format="json",
            ).status_code)
            for user, ua in zip([owner, second], accesses, strict=True)
        ]
    )  # fmt: skip
    assert sorted(statuses) == [200, 422]
    assert UserAccess.objects.filter(company=owner.company, access__name="owner").count() == 1


def test_two_plan_changes_at_once_leave_one_active_subscription(client_for, owner):
    from companies.services import company_create

    company = company_create(user=owner, name="Race")
    plans = [membership("Pro").id, membership("Business").id]
    statuses = at_once(
        *[
            (lambda plan=plan: client_for(owner).post(
                f"/api/v1/companies/{company.id}/membership", {"membership_id": plan}, format="json"
            ).status_code)
            for plan in plans
        ]
    )  # fmt: skip
    assert statuses == [201, 201]
    assert Subscription.objects.filter(company=company, status="active").count() == 1
