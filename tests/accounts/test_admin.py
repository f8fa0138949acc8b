"""The back office: users (search, filter, activate/deactivate), legal terms and acceptances."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from legal.models import LegalTerm, TermsAcceptance
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_deactivate_action_ends_sessions(staff_client):
    user = UserFactory()
    RefreshToken.for_user(user)
    response = staff_client.post(
        "/admin/accounts/user/", {"action": "deactivate_users", "_selected_action": [user.pk]}, follow=True
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.status == "inactive"
    assert not OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists()


def test_activate_action_skips_users_without_password(staff_client):
    with_password = UserFactory(status="inactive")
    without_password = UserFactory(status="pending")
    without_password.set_unusable_password()
    without_password.save()
    staff_client.post(
        "/admin/accounts/user/",
        {"action": "activate_users", "_selected_action": [with_password.pk, without_password.pk]},
    )
    with_password.refresh_from_db()
    without_password.refresh_from_db()
    assert with_password.status == "active"
    assert without_password.status == "pending"


def test_user_search_and_status_filter(staff_client):
    UserFactory(email="findme@example.com", status="inactive")
    response = staff_client.get("/admin/accounts/user/?q=findme&status__exact=inactive")
    assert "findme@example.com" in response.content.decode()


def test_legal_term_page_shows_who_accepted(staff_client):
    user = UserFactory(email="accepter@example.com")
    term = LegalTerm.objects.get(version="2026-01")
    TermsAcceptance.objects.create(user=user, legal_term=term, ip="203.0.113.1", user_agent="UA")
    page = staff_client.get(f"/admin/legal/legalterm/{term.pk}/change/")
    assert page.status_code == 200
    assert "accepter@example.com" in page.content.decode()
    listing = staff_client.get(f"/admin/legal/termsacceptance/?legal_term__id__exact={term.pk}&q=accepter")
    assert listing.status_code == 200
    assert "accepter@example.com" in listing.content.decode()


def test_staff_publishes_a_new_version(staff_client, api_client):
    response = staff_client.post(
        "/admin/legal/legalterm/add/",
        {
            "version": "2026-02",
            "title": "Terms v2",
            "body": "New terms",
            "published_at_0": "2026-02-01",
            "published_at_1": "00:00:00",
            "acceptances-TOTAL_FORMS": "0",
            "acceptances-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert api_client.get("/api/v1/legal_terms/current").json()["legal_term"]["version"] == "2026-02"


def test_admin_password_change_stops_old_refresh_tokens(staff_client, api_client):
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    response = staff_client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "admin-chosen-passphrase", "password2": "admin-chosen-passphrase", "usable_password": "true"},
    )
    assert response.status_code == 302
    answer = api_client.post("/api/v1/users/token/refresh", {"refresh_token": refresh}, format="json")
    assert answer.status_code == 401
