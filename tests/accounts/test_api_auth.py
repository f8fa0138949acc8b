"""Login, refresh, validate_jwt, throttles and token revocation (endpoints 4, 7, 44)."""

import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from tests.accounts.hashers import CountingMD5PasswordHasher
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_FAILED = {"message": "Invalid email or password.", "code": "not_authenticated"}


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


class TestLogin:
    def test_login_returns_tokens_and_the_user(self, login, owner):
        response = login(owner.email.upper())
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"token", "refresh_token", "expires_at", "user"}
        assert body["user"]["id"] == owner.id
        assert body["user"]["primary_company"]["id"] == owner.company.id
        assert body["user"]["primary_access"]["access_name"] == "owner"
        assert OutstandingToken.objects.filter(user=owner).count() == 1

    def test_the_token_authenticates(self, login, api_client, user):
        token = login(user.email).json()["token"]
        response = bearer(api_client, token).get("/api/v1/users/validate_jwt")
        assert response.status_code == 200
        body = response.json()
        assert body["valid"] is True
        assert body["user"]["email"] == user.email
        assert body["expires_at"].endswith("Z")

    def test_wrong_password_and_unknown_email_answer_alike(self, login, user):
        wrong = login(user.email, "not-the-password")
        unknown = login("nobody@example.com")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == LOGIN_FAILED

    @pytest.mark.parametrize("status", ["pending", "inactive"])
    def test_pending_and_inactive_users_cannot_log_in(self, login, status):
        user = UserFactory(status=status)
        response = login(user.email)
        assert response.status_code == 401
        assert response.json() == LOGIN_FAILED

    def test_missing_fields_are_422(self, api_client):
        response = api_client.post("/api/v1/users/login", {}, format="json")
        assert response.status_code == 422
        assert set(response.json()["errors"]) == {"email", "password"}


class TestLoginThrottles:
    @pytest.fixture
    def counting_hasher(self, settings):
        settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingMD5PasswordHasher"]
        CountingMD5PasswordHasher.calls = 0
        return CountingMD5PasswordHasher

    def test_eleventh_attempt_on_one_email_is_429_without_hashing(self, login, user, counting_hasher):
        for _ in range(10):
            assert login(user.email, "wrong").status_code == 401
        hashed = counting_hasher.calls
        assert hashed >= 10  # every allowed attempt did hash
        response = login(user.email.upper(), "wrong")  # same email, other case: same bucket
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert set(response.json()) == {"message"}
        assert counting_hasher.calls == hashed  # the throttle answered before the hasher ran

    def test_email_throttle_holds_across_ips(self, login, user):
        for number in range(10):
            login(user.email, "wrong", REMOTE_ADDR=f"10.0.0.{number + 1}")
        assert login(user.email, REMOTE_ADDR="10.0.1.1").status_code == 429

    def test_ip_throttle_after_20_attempts_even_for_other_emails(self, login, counting_hasher):
        for number in range(20):
            assert login(f"someone{number}@example.com").status_code == 401
        hashed = counting_hasher.calls
        response = login("another@example.com")
        assert response.status_code == 429
        assert counting_hasher.calls == hashed

    def test_spoofed_forwarded_for_does_not_reset_the_ip_count(self, login):
        for number in range(20):
            login(f"someone{number}@example.com", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
        assert login("x@example.com", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


class TestRefresh:
    def refresh(self, api_client, token):
        return api_client.post("/api/v1/users/token/refresh", {"refresh_token": token}, format="json")

    def test_refresh_rotates_and_the_old_token_is_single_use(self, api_client, login, user):
        first = login(user.email).json()
        response = self.refresh(api_client, first["refresh_token"])
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"token", "refresh_token", "expires_at"}
        assert body["refresh_token"] != first["refresh_token"]
        assert self.refresh(api_client, first["refresh_token"]).status_code == 401
        assert self.refresh(api_client, body["refresh_token"]).status_code == 200

    def test_garbage_refresh_token_is_401(self, api_client):
        response = self.refresh(api_client, "not-a-token")
        assert response.status_code == 401
        assert response.json()["code"] == "token_invalid"  # log in again

    def test_access_token_is_not_a_refresh_token(self, api_client, login, user):
        access = login(user.email).json()["token"]
        assert self.refresh(api_client, access).status_code == 401

    def test_refresh_of_a_deleted_user_is_401(self, api_client, login):
        user = UserFactory()
        refresh = login(user.email).json()["refresh_token"]
        user.delete()
        assert self.refresh(api_client, refresh).status_code == 401

    def test_refresh_token_is_not_an_access_token(self, api_client, login, user):
        refresh = login(user.email).json()["refresh_token"]
        assert bearer(api_client, refresh).get("/api/v1/users/validate_jwt").status_code == 401


class TestRevocation:
    """After a password change or deactivation, access *and* refresh tokens stop working."""

    def test_password_change_revokes_access_and_refresh_tokens(self, client_for, api_client, login, user):
        old = login(user.email).json()
        response = bearer(api_client, old["token"]).put(
            f"/api/v1/users/{user.id}",
            {"password": "a-brand-new-passphrase", "current_password": PASSWORD},
            format="json",
        )
        assert response.status_code == 200
        fresh = APIClientFactory()
        assert bearer(fresh, old["token"]).get("/api/v1/users/validate_jwt").status_code == 401
        refreshed = fresh.post("/api/v1/users/token/refresh", {"refresh_token": old["refresh_token"]}, format="json")
        assert refreshed.status_code == 401
        assert login(user.email, "a-brand-new-passphrase").status_code == 200

    def test_deactivation_revokes_access_and_refresh_tokens(self, client_for, company_member, login):
        admin = company_member(level="admin")
        agent = company_member(admin.company, "agent")
        session = login(agent.email).json()
        response = client_for(admin).put(f"/api/v1/users/{agent.id}", {"status": "inactive"}, format="json")
        assert response.status_code == 200
        assert response.json()["user"]["status"] == "inactive"
        client = APIClientFactory()
        assert bearer(client, session["token"]).get("/api/v1/users/validate_jwt").status_code == 401
        refreshed = client.post("/api/v1/users/token/refresh", {"refresh_token": session["refresh_token"]})
        assert refreshed.status_code == 401

    def test_a_rotated_refresh_token_issued_before_deactivation_is_refused(self, api_client, login, user):
        from accounts.services import user_status_set

        session = login(user.email).json()
        user_status_set(user=user, status="inactive")
        user_status_set(user=user, status="active")  # reactivated: old sessions stay ended
        response = api_client.post("/api/v1/users/token/refresh", {"refresh_token": session["refresh_token"]})
        assert response.status_code == 401


def APIClientFactory():
    from rest_framework.test import APIClient

    return APIClient()


def test_validate_jwt_without_token_is_401(api_client):
    assert api_client.get("/api/v1/users/validate_jwt").status_code == 401


def _forged(user, *, key="wrong-key-wrong-key-wrong-key-0123", algorithm="HS256", **claims):
    import time

    import jwt

    payload = {"token_type": "access", "user_id": str(user.id), "jti": "x", "exp": int(time.time()) + 60, **claims}
    if algorithm == "none":
        return jwt.encode(payload, None, algorithm="none")
    return jwt.encode(payload, key, algorithm=algorithm)


@pytest.mark.parametrize("case", ["alg-none", "wrong-key", "expired", "no-password-hash"])
def test_tampered_tokens_are_401(api_client, user, settings, case):
    import time

    real_key = settings.SIMPLE_JWT["SIGNING_KEY"]
    token = {
        "alg-none": lambda: _forged(user, algorithm="none"),
        "wrong-key": lambda: _forged(user),
        "expired": lambda: _forged(user, key=real_key, exp=int(time.time()) - 1),
        "no-password-hash": lambda: _forged(user, key=real_key),  # signed right, but not issued by login
    }[case]()
    response = bearer(api_client, token).get("/api/v1/users/validate_jwt")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code"}
    # Only a genuine token past its `exp` tells the client to refresh; anything forged is invalid.
    assert response.json()["code"] == ("token_expired" if case == "expired" else "token_invalid")
