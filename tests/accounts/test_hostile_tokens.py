"""Hostile JWTs and one-time links beyond test_api_auth.py / test_api_password.py (reliability plan R6, R9).

The forged tokens here start from a real access token (with its password-hash claim) and change one
thing, re-signed with the real key where the case needs it: each is refused for the reason its name
says, not because it lacks a claim only login issues. `test_a_re_signed_untouched_token_is_accepted`
proves the re-signing itself yields a valid token.
"""

import base64
import json
import time

import jwt
import pytest

from tests.accounts import test_api_password
from tests.accounts.test_api_password import confirm
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
VALIDATE = "/api/v1/users/validate_jwt"
request_link = test_api_password.request_link  # the fixture: the reset link from the outbox


@pytest.fixture
def real_token(login, user) -> str:
    return login(user.email).json()["token"]


@pytest.fixture
def key(settings) -> str:
    return settings.SIMPLE_JWT["SIGNING_KEY"]


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def re_signed(token: str, key: str, algorithm: str = "HS256", **changes) -> str:
    payload = {**claims_of(token), **changes}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm=algorithm)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def validate(api_client, authorization: str):
    api_client.credentials(HTTP_AUTHORIZATION=authorization)
    return api_client.get(VALIDATE)


def assert_refused(response):
    assert response.status_code == 401, response.content
    assert set(response.json()) == {"message", "code"}
    assert response.json()["code"] in ("not_authenticated", "token_invalid", "token_expired")


def test_a_re_signed_untouched_token_is_accepted(api_client, real_token, key):
    assert validate(api_client, f"Bearer {re_signed(real_token, key)}").status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "not-yet-valid",
        "other-user-id",
        "no-password-hash",
        "type-refresh",
        "hs512-real-key",
        "rs256-header-hs256-signature",
        "payload-changed-signature-kept",
        "alg-none-with-real-claims",
        "empty-signature",
    ],
)
def test_a_real_token_changed_in_one_way_is_refused(api_client, real_token, key, case):
    now = int(time.time())
    header, payload, signature = real_token.split(".")
    other = UserFactory()
    token = {
        "expired": lambda: re_signed(real_token, key, exp=now - 1),
        "not-yet-valid": lambda: re_signed(real_token, key, nbf=now + 3600),
        # Signed right for another user: the password-hash claim is the first user's.
        "other-user-id": lambda: re_signed(real_token, key, user_id=str(other.id)),
        "no-password-hash": lambda: re_signed(real_token, key, hash_password=None),
        "type-refresh": lambda: re_signed(real_token, key, token_type="refresh"),
        "hs512-real-key": lambda: re_signed(real_token, key, algorithm="HS512"),
        "rs256-header-hs256-signature": lambda: f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{signature}",
        "payload-changed-signature-kept": lambda: (
            f"{header}.{b64({**claims_of(real_token), 'user_id': str(other.id)})}.{signature}"
        ),
        "alg-none-with-real-claims": lambda: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "empty-signature": lambda: f"{header}.{payload}.",
    }[case]()
    assert_refused(validate(api_client, f"Bearer {token}"))


def test_the_access_token_of_a_deleted_user_is_refused(api_client, login):
    user = UserFactory()
    token = login(user.email).json()["token"]
    user.delete()
    assert_refused(validate(api_client, f"Bearer {token}"))


@pytest.mark.parametrize(
    ("template", "status"),
    [
        ("Bearer {}", 200),
        ("{}", 200),  # the published examples send the bare token
        ("Basic {}", 401),
        ("JWT {}", 401),
        ("bearer {}", 401),
        ("Bearer", 401),
        ("Bearer {} extra", 401),
        ("Bearer  ", 401),
    ],
)
def test_authorization_header_forms(api_client, real_token, template, status):
    response = validate(api_client, template.format(real_token))
    assert response.status_code == status, (template, response.content)
    if status == 401:
        assert set(response.json()) == {"message", "code"}


def test_a_reset_link_dies_when_the_email_changes(api_client, request_link, user):
    _, uid, token = request_link(user.email)
    user.email = "moved@example.com"
    user.save()
    response = confirm(api_client, uid, token)
    assert response.status_code == 422
    assert "token" in response.json()["errors"]


def test_a_reset_link_is_single_use_even_when_the_password_is_the_same(api_client, request_link, user):
    _, uid, token = request_link(user.email)
    assert confirm(api_client, uid, token, "a-fresh-long-passphrase").status_code == 200
    assert confirm(api_client, uid, token, "a-fresh-long-passphrase").status_code == 422
