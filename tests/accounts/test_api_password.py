"""Password reset and set (endpoints 8, 45), and the whole flows through the API and the outbox."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a-fresh-long-passphrase"


@pytest.fixture
def request_link(api_client, sent_mail, django_capture_on_commit_callbacks):
    """POST reset_password for the email and return (response, uid, token) from the emailed link."""

    def run(email):
        before = len(sent_mail())
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post("/api/v1/users/reset_password", {"email": email}, format="json")
        mailoutbox = sent_mail()
        if len(mailoutbox) == before:
            return response, None, None
        return (response, *link_parts(mailoutbox[-1]))

    return run


def link_parts(message):
    link = re.search(r"https?://\S+", message.body).group(0)
    query = parse_qs(urlparse(link).query)
    html = message.alternatives[0][0]
    assert link.replace("&", "&amp;") in html  # the HTML part carries the same link
    return query["uid"][0], query["token"][0]


def confirm(client, uid, token, password=NEW_PASSWORD):
    body = {"uid": uid, "token": token, "password": password}
    return client.post("/api/v1/users/reset_password/confirm", body, format="json")


def login(client, email, password):
    return client.post("/api/v1/users/login", {"email": email, "password": password}, format="json")


class TestResetRequest:
    def test_known_email_gets_a_link(self, request_link, user, mailoutbox):
        response, uid, token = request_link(user.email.upper())
        assert response.status_code == 200
        assert set(response.json()) == {"message"}
        assert mailoutbox[-1].to == [user.email]
        assert "/reset-password?" in mailoutbox[-1].body
        assert uid and token

    def test_unknown_email_is_404_and_nothing_is_sent(self, request_link, mailoutbox):
        response, _, _ = request_link("nobody@example.com")
        assert response.status_code == 404
        assert set(response.json()) == {"message"}
        assert mailoutbox == []

    def test_inactive_user_is_409(self, request_link, mailoutbox):
        user = UserFactory(status="inactive")
        response, _, _ = request_link(user.email)
        assert response.status_code == 409
        assert mailoutbox == []

    def test_invalid_email_is_422(self, api_client):
        response = api_client.post("/api/v1/users/reset_password", {"email": "nope"}, format="json")
        assert response.status_code == 422
        assert "email" in response.json()["errors"]

    def test_five_requests_per_email_then_429(self, request_link, user):
        for _ in range(5):
            assert request_link(user.email)[0].status_code == 200
        response = request_link(user.email)[0]
        assert response.status_code == 429
        assert "Retry-After" in response


class TestResetConfirm:
    def test_reset_then_login_old_tokens_rejected_and_link_single_use(self, api_client, request_link, user):
        session = login(api_client, user.email, PASSWORD).json()
        _, uid, token = request_link(user.email)

        response = confirm(api_client, uid, token)
        assert response.status_code == 200
        assert set(response.json()) == {"message"}
        assert login(api_client, user.email, PASSWORD).status_code == 401
        assert login(api_client, user.email, NEW_PASSWORD).status_code == 200

        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['token']}")
        assert api_client.get("/api/v1/users/validate_jwt").status_code == 401
        api_client.credentials()
        refresh = {"refresh_token": session["refresh_token"]}
        assert api_client.post("/api/v1/users/token/refresh", refresh, format="json").status_code == 401

        reused = confirm(api_client, uid, token, "yet-another-passphrase")
        assert reused.status_code == 422
        assert "token" in reused.json()["errors"]
        assert login(api_client, user.email, NEW_PASSWORD).status_code == 200

    def test_weak_password_is_422_and_the_link_still_works(self, api_client, request_link, user):
        _, uid, token = request_link(user.email)
        response = confirm(api_client, uid, token, "12345678")
        assert response.status_code == 422
        assert response.json()["errors"]["password"]
        assert confirm(api_client, uid, token).status_code == 200

    def test_token_of_one_user_with_the_uid_of_another_is_422(self, api_client, request_link, user):
        other = UserFactory()
        _, _, token = request_link(user.email)
        other_uid = urlsafe_base64_encode(force_bytes(other.pk))
        assert confirm(api_client, other_uid, token).status_code == 422

    @pytest.mark.parametrize("uid", ["", "!!!", "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NQ", "bm90LWEtbnVtYmVy"])
    def test_garbage_uid_is_422(self, api_client, uid):
        assert confirm(api_client, uid, "abc-def").status_code == 422

    def test_link_dies_after_a_login(self, api_client, request_link, user):
        _, uid, token = request_link(user.email)
        assert login(api_client, user.email, PASSWORD).status_code == 200  # updates last_login
        assert confirm(api_client, uid, token).status_code == 422

    def test_link_dies_after_deactivation(self, api_client, request_link, user):
        _, uid, token = request_link(user.email)
        user.status = "inactive"
        user.save()
        assert confirm(api_client, uid, token).status_code == 422

    def test_link_expires(self, api_client, request_link, user, settings):
        _, uid, token = request_link(user.email)
        settings.PASSWORD_RESET_TIMEOUT = -1
        assert confirm(api_client, uid, token).status_code == 422


def test_sign_up_without_password_email_set_password_login_validate(
    api_client, sent_mail, django_capture_on_commit_callbacks
):
    body = {"first_name": "Ana", "last_name": "García", "email": "ana@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v1/users", body, format="json").status_code == 201
    mailoutbox = sent_mail()
    assert login(api_client, "ana@example.com", NEW_PASSWORD).status_code == 401  # pending

    uid, token = link_parts(mailoutbox[0])
    assert "/set-password?" in mailoutbox[0].body
    assert confirm(api_client, uid, token).status_code == 200
    assert User.objects.get(email="ana@example.com").status == "active"

    session = login(api_client, "ana@example.com", NEW_PASSWORD)
    assert session.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=session.json()["token"])  # bare token, as the docs send it
    validated = api_client.get("/api/v1/users/validate_jwt")
    assert validated.status_code == 200
    assert validated.json()["user"]["status"] == "active"
    assert validated.json()["user"]["email_verified"] is True  # the link was emailed: the mailbox is proven
    api_client.credentials()
    assert confirm(api_client, uid, token, "a-second-passphrase").status_code == 422


def test_pending_user_asking_for_a_reset_gets_the_set_password_email(request_link):
    user = UserFactory(status="pending")
    response, uid, token = request_link(user.email)
    assert response.status_code == 200
    assert uid and token
