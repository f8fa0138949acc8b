"""PUT /users/{id}/onboarding (17)."""

import pytest

pytestmark = pytest.mark.django_db


def test_complete_own_onboarding(client_for, user):
    response = client_for(user).put(f"/api/v1/users/{user.id}/onboarding")
    assert response.status_code == 200
    assert response.json()["user"]["onboarding_completed"] is True
    user.refresh_from_db()
    assert user.onboarding_completed


def test_colleague_onboarding_is_403(client_for, owner, company_member):
    colleague = company_member(owner.company, "agent")
    assert client_for(owner).put(f"/api/v1/users/{colleague.id}/onboarding").status_code == 403
    colleague.refresh_from_db()
    assert not colleague.onboarding_completed


def test_outsider_onboarding_is_404(client_for, owner, outsider):
    assert client_for(owner).put(f"/api/v1/users/{outsider.id}/onboarding").status_code == 404


def test_onboarding_needs_a_token(api_client, user):
    assert api_client.put(f"/api/v1/users/{user.id}/onboarding").status_code == 401
