from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Membership
from companies.models import Company, Invitation
from companies.services import company_create
from tests.factories import CompanyFactory, access

pytestmark = pytest.mark.django_db


INLINES = ("user_accesses", "child_companies", "subscriptions", "cycles")
EMPTY_INLINES = {f"{prefix}-{count}": "0" for prefix in INLINES for count in ("TOTAL_FORMS", "INITIAL_FORMS")}


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def invitation(owner):
    return Invitation.objects.create(
        company=owner.company,
        email="new@example.com",
        access=access("agent"),
        invited_by=owner,
        code="code-for-the-admin-test",
        expires_at=timezone.now() + timedelta(days=1),
    )


@pytest.mark.parametrize(
    "path",
    [
        "/admin/companies/company/?q=Acme&cycles_enabled__exact=0",
        "/admin/companies/useraccess/?primary__exact=1",
        "/admin/companies/invitation/?q=new",
        "/admin/companies/cycle/",
        "/admin/companies/access/",
        "/admin/billing/membership/?is_free__exact=1",
        "/admin/billing/subscription/?status__exact=active",
    ],
)
def test_changelists_with_filters_and_search(staff, owner, invitation, path):
    assert staff.get(path).status_code == 200


def test_company_page_shows_accesses_children_and_subscriptions(staff, owner):
    company = company_create(user=owner, name="Acme")
    CompanyFactory(parent_company=company, name="Acme Child")
    page = staff.get(f"/admin/companies/company/{company.id}/change/").content.decode()
    assert owner.email in page
    assert "Acme Child" in page
    assert "Free" in page


def test_admin_refuses_a_loop_in_the_tree(staff):
    root = CompanyFactory(name="Root")
    child = CompanyFactory(parent_company=root, name="Child")
    response = staff.post(
        f"/admin/companies/company/{root.id}/change/",
        {
            "name": "Root",
            "parent_company": child.id,
            "country": "ES",
            **EMPTY_INLINES,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    root.refresh_from_db()
    assert root.parent_company is None


def test_company_added_in_the_admin_starts_on_the_free_plan(staff):
    staff.post(
        "/admin/companies/company/add/",
        {
            "name": "From admin",
            "country": "ES",
            **EMPTY_INLINES,
        },
    )
    company = Company.objects.get(name="From admin")
    assert company.subscriptions.get().membership == Membership.objects.get(is_free=True)


def test_revoke_and_resend_actions(staff, invitation, sent_mail, django_capture_on_commit_callbacks):
    url = "/admin/companies/invitation/"
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"action": "resend", "_selected_action": [invitation.id]})
    assert len(sent_mail()) == 1
    staff.post(url, {"action": "revoke", "_selected_action": [invitation.id]})
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    response = staff.post(url, {"action": "resend", "_selected_action": [invitation.id]}, follow=True)
    assert "can no longer be used" in response.content.decode()
