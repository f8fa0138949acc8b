"""Legal terms (27, 28) and approving them during onboarding (18)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from legal.models import LegalTerm, TermsAcceptance

pytestmark = pytest.mark.django_db

TERM_KEYS = {"id", "version", "title", "content", "published_at"}


def publish(version, *, ago=timedelta(minutes=1)):
    return LegalTerm.objects.create(
        version=version, title="Terms", body=f"Body {version}", published_at=timezone.now() - ago
    )


def test_a_fresh_database_has_current_terms(api_client):
    response = api_client.get("/api/v1/legal_terms/current")
    assert response.status_code == 200
    term = response.json()["legal_term"]
    assert set(term) == TERM_KEYS
    assert term["version"] == "2026-01"
    assert term["content"]


def test_current_is_the_latest_published_not_a_draft_or_future_one(api_client):
    latest = publish("2026-02")
    LegalTerm.objects.create(version="2026-03-draft", title="Draft", body="...")
    LegalTerm.objects.create(
        version="2026-04", title="Later", body="...", published_at=timezone.now() + timedelta(days=1)
    )
    assert api_client.get("/api/v1/legal_terms/current").json()["legal_term"]["id"] == latest.id


def test_show_a_published_version(api_client):
    term = publish("2026-02")
    response = api_client.get(f"/api/v1/legal_terms/{term.id}")
    assert response.status_code == 200
    assert response.json()["legal_term"]["content"] == "Body 2026-02"


@pytest.mark.parametrize("term_id", ["draft", "999999", str(2**64)])
def test_drafts_and_unknown_ids_are_404(api_client, term_id):
    if term_id == "draft":
        term_id = LegalTerm.objects.create(version="draft", title="Draft", body="...").id
    assert api_client.get(f"/api/v1/legal_terms/{term_id}").status_code == 404


class TestAcceptTerms:
    def url(self, user):
        return f"/api/v1/users/{user.id}/onboarding/terms_and_conditions"

    def test_accept_current_terms_records_who_what_when_where(self, client_for, user):
        current = publish("2026-02")
        response = client_for(user).put(
            self.url(user), {"legal_term_id": current.id}, format="json",
            HTTP_USER_AGENT="Leadsy-Web/1.0", REMOTE_ADDR="203.0.113.9",
        )  # fmt: skip
        assert response.status_code == 200
        assert response.json()["user"]["terms_accepted_at"] is not None
        acceptance = TermsAcceptance.objects.get(user=user)
        assert acceptance.legal_term == current
        assert acceptance.ip == "203.0.113.9"
        assert acceptance.user_agent == "Leadsy-Web/1.0"

    def test_accepting_twice_keeps_one_record(self, client_for, user):
        current = publish("2026-02")
        client = client_for(user)
        for _ in range(2):
            assert client.put(self.url(user), {"legal_term_id": current.id}, format="json").status_code == 200
        assert TermsAcceptance.objects.filter(user=user).count() == 1

    def test_an_old_version_is_422(self, client_for, user):
        old = publish("2026-02", ago=timedelta(days=30))
        publish("2026-03")
        response = client_for(user).put(self.url(user), {"legal_term_id": old.id}, format="json")
        assert response.status_code == 422
        assert "legal_term_id" in response.json()["errors"]
        assert not TermsAcceptance.objects.exists()

    @pytest.mark.parametrize("body", [{}, {"legal_term_id": "x"}, {"legal_term_id": 999999}, {"legal_term_id": 2**64}])
    def test_bad_ids_are_422(self, client_for, user, body):
        response = client_for(user).put(self.url(user), body, format="json")
        assert response.status_code == 422
        assert "legal_term_id" in response.json()["errors"]

    def test_for_a_colleague_is_403(self, client_for, owner, company_member):
        colleague = company_member(owner.company, "agent")
        current = publish("2026-02")
        response = client_for(owner).put(self.url(colleague), {"legal_term_id": current.id}, format="json")
        assert response.status_code == 403

    def test_for_an_outsider_is_404(self, client_for, user):
        from tests.factories import UserFactory

        other = UserFactory()
        response = client_for(user).put(self.url(other), {"legal_term_id": 1}, format="json")
        assert response.status_code == 404

    def test_needs_a_token(self, api_client, user):
        assert api_client.put(self.url(user), {"legal_term_id": 1}, format="json").status_code == 401
