from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from companies.models import Invitation, UserAccess
from companies.services import invitation_revoke
from tests.factories import CompanyFactory, UserFactory, access

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"


def invite(client, company, email="new@example.com", level="agent"):
    return client.post(
        "/api/v1/invitations",
        {"email": email, "company_id": company.id, "access_id": access(level).id},
        format="json",
    )


@pytest.fixture
def invitation(owner, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        code = invite(client_for(owner), owner.company).json()["invitation"]["code"]
    return Invitation.objects.get(code=code)


def test_invite_sends_an_email_with_the_code_after_commit(
    client_for, owner, sent_mail, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = invite(client_for(owner), owner.company, email="New@Example.com", level="manager")
    assert response.status_code == 201
    assert sent_mail() == []  # nothing is even queued before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    mailoutbox = sent_mail()
    body = response.json()["invitation"]
    assert body["email"] == "new@example.com"
    assert body["status"] == "pending"
    assert body["access"]["name"] == "manager"
    assert body["company"]["id"] == owner.company.id
    assert body["invited_by"] == {"id": owner.id, "full_name": owner.full_name, "email": owner.email}
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new@example.com"]
    assert body["code"] in mailoutbox[0].body
    assert mailoutbox[0].alternatives[0][1] == "text/html" and body["code"] in mailoutbox[0].alternatives[0][0]
    expires = Invitation.objects.get(code=body["code"]).expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < expires <= timedelta(days=7)


def test_codes_are_long_and_distinct(invitation, client_for, owner):
    other = invite(client_for(owner), owner.company, email="other@example.com").json()["invitation"]["code"]
    assert len(invitation.code) >= 32
    assert other != invitation.code


@pytest.mark.parametrize("level", ["manager", "agent"])
def test_only_owner_and_admin_invite(client_for, owner, company_member, level):
    response = invite(client_for(company_member(owner.company, level)), owner.company)
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_admin_cannot_invite_an_owner(client_for, owner, company_member):
    assert invite(client_for(company_member(owner.company, "admin")), owner.company, level="owner").status_code == 403


def test_outsider_company_is_404_and_unknown_access_is_422(client_for, owner):
    assert invite(client_for(owner), CompanyFactory()).status_code == 404
    response = client_for(owner).post(
        "/api/v1/invitations",
        {"email": "x@example.com", "company_id": owner.company.id, "access_id": 999999},
        format="json",
    )
    assert response.status_code == 422
    assert "access_id" in response.json()["errors"]


def test_inviting_a_member_is_422(client_for, owner, company_member):
    member = company_member(owner.company, "agent")
    response = invite(client_for(owner), owner.company, email=member.email.upper())
    assert response.status_code == 422
    assert "email" in response.json()["errors"]


def test_a_new_invitation_supersedes_the_pending_one(invitation, client_for, owner):
    invite(client_for(owner), owner.company)
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_public_read_by_code(api_client, invitation):
    response = api_client.get(f"/api/v1/invitations/{invitation.code}")
    assert response.status_code == 200
    assert response.json()["invitation"]["email"] == invitation.email
    assert api_client.get("/api/v1/invitations/not-a-real-code").status_code == 404


def test_pending_by_email(client_for, owner, invitation):
    invitee = UserFactory(email="new@example.com", email_verified=True)
    body = client_for(invitee).get("/api/v1/invitations/pending?email=new@example.com").json()
    assert [i["code"] for i in body["invitations"]] == [invitation.code]
    # the inviting company's admins see it too; strangers do not
    assert client_for(owner).get("/api/v1/invitations/pending?email=new@example.com").json()["meta"]["total_count"] == 1
    assert (
        client_for(UserFactory()).get("/api/v1/invitations/pending?email=new@example.com").json()["invitations"] == []
    )


def test_pending_hides_accepted_expired_and_revoked(client_for, invitation):
    invitee = UserFactory(email="new@example.com")
    invitation.expires_at = timezone.now() - timedelta(seconds=1)
    invitation.save()
    assert client_for(invitee).get("/api/v1/invitations/pending").json()["invitations"] == []


class TestAccept:
    def accept(self, client, code, **body):
        return client.post(f"/api/v1/invitations/{code}/accept", body, format="json")

    def test_end_to_end_new_person_signs_up_logs_in_and_sees_the_company(
        self, api_client, client_for, owner, invitation
    ):
        response = self.accept(api_client, invitation.code, first_name="Nora", last_name="New", password=PASSWORD)
        assert response.status_code == 200
        user_body = response.json()["user"]
        assert user_body["email"] == "new@example.com"
        assert user_body["status"] == "active"
        assert user_body["primary_company"]["id"] == owner.company.id
        assert user_body["primary_access"]["access_name"] == "agent"

        person = authenticate(email="new@example.com", password=PASSWORD)
        assert person is not None
        companies = client_for(person).get("/api/v1/companies").json()["companies"]
        assert [c["id"] for c in companies] == [owner.company.id]
        invitation.refresh_from_db()
        assert invitation.status == "accepted"
        assert invitation.accepted_by == person

    def test_existing_user_accepts_with_its_jwt(self, client_for, owner, invitation):
        existing = UserFactory(email="new@example.com")
        other = CompanyFactory()
        UserAccess.objects.create(user=existing, company=other, access=access("owner"), primary=True)
        response = self.accept(client_for(existing), invitation.code)
        assert response.status_code == 200
        access_there = UserAccess.objects.get(user=existing, company=owner.company)
        assert access_there.access.name == "agent"
        assert access_there.primary is False  # the existing primary stays

    def test_another_users_jwt_is_403(self, client_for, invitation):
        assert self.accept(client_for(UserFactory()), invitation.code).status_code == 403
        assert invitation.status == "pending"

    def test_existing_email_without_jwt_is_422(self, api_client, invitation):
        UserFactory(email="new@example.com")
        response = self.accept(api_client, invitation.code, first_name="X", password=PASSWORD)
        assert response.status_code == 422

    def test_new_person_needs_a_name_and_a_good_password(self, api_client, invitation):
        response = self.accept(api_client, invitation.code, password="123")
        assert response.status_code == 422
        assert set(response.json()["errors"]) == {"first_name", "password"}
        assert not UserAccess.objects.filter(company=invitation.company, user__email="new@example.com").exists()

    def test_accepting_twice_is_409(self, api_client, invitation):
        assert self.accept(api_client, invitation.code, first_name="N", password=PASSWORD).status_code == 200
        response = self.accept(api_client, invitation.code, first_name="N", password=PASSWORD)
        assert response.status_code == 409
        assert response.json() == {"message": "This invitation is accepted and can no longer be used."}

    def test_expired_is_409(self, api_client, invitation):
        invitation.expires_at = timezone.now() - timedelta(seconds=1)
        invitation.save()
        response = self.accept(api_client, invitation.code, first_name="N", password=PASSWORD)
        assert response.status_code == 409
        assert "expired" in response.json()["message"]

    def test_revoked_is_409(self, api_client, invitation):
        invitation_revoke(invitation=invitation)
        response = self.accept(api_client, invitation.code, first_name="N", password=PASSWORD)
        assert response.status_code == 409
        assert "revoked" in response.json()["message"]

    def test_unknown_code_is_404(self, api_client):
        assert self.accept(api_client, "x" * 32, first_name="N", password=PASSWORD).status_code == 404

    def test_full_company_cannot_take_the_invitee(self, api_client, owner, company_member, invitation):
        company_member(owner.company, "agent")
        company_member(owner.company, "agent")
        response = self.accept(api_client, invitation.code, first_name="N", password=PASSWORD)
        assert response.status_code == 422
        assert "max_users" in response.json()["errors"]["base"][0]
        assert not UserAccess.objects.filter(user__email="new@example.com").exists()

    def test_code_endpoints_are_throttled(self, api_client, settings, invitation):
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "invitation_code": "3/min"},
        }
        from rest_framework.settings import api_settings
        from rest_framework.throttling import SimpleRateThrottle

        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        try:
            statuses = [api_client.get(f"/api/v1/invitations/guess{n}").status_code for n in range(4)]
        finally:
            SimpleRateThrottle.THROTTLE_RATES = rates
        assert statuses == [404, 404, 404, 429]


@pytest.mark.parametrize("code", ["a%00b", "x" * 500])
def test_odd_codes_are_404_not_500(api_client, code):
    assert api_client.get(f"/api/v1/invitations/{code}").status_code == 404
    assert api_client.post(f"/api/v1/invitations/{code}/accept", {}, format="json").status_code == 404


def test_nul_in_query_parameters_is_harmless(client_for, owner):
    client = client_for(owner)
    assert client.get("/api/v1/invitations/pending?email=a%00b").status_code == 200
    assert client.get(f"/api/v1/companies/{owner.company.id}/users?q=a%00b").status_code == 200
