"""The API conventions every endpoint shares (CONTRACT.md, "Conventions")."""

import pytest

from tests.conftest import token_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.support.urls")]


def test_bearer_token_authenticates(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    response = api_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {"user": {"id": user.id, "email": user.email}}


def test_bare_token_authenticates(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=token_for(user))
    assert api_client.get("/api/v1/me").json()["user"]["id"] == user.id


def test_missing_token_is_401_json(api_client):
    response = api_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication credentials were not provided.", "code": "not_authenticated"}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer"])
def test_bad_token_is_401_with_message(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/me")
    assert response.status_code == 401
    assert set(response.json()) == {"message", "code"}
    assert response.json()["code"] in ("not_authenticated", "token_invalid")


def test_inactive_users_token_stops_working(api_client, user):
    token = token_for(user)
    user.status = "inactive"
    user.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/v1/me").status_code == 401


def test_trailing_slash_is_optional_without_redirect(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    assert api_client.get("/api/v1/me/").status_code == 200
    assert api_client.get("/api/v1/me").status_code == 200


def test_validation_error_is_422_with_field_reasons(api_client):
    response = api_client.post("/api/v1/echo", {"name": "far too long"}, format="json")
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Validation failed"
    assert set(body["errors"]) == {"name", "age"}
    assert body["errors"]["age"] == ["This field is required."]


def test_malformed_json_is_422(api_client):
    response = api_client.post("/api/v1/echo", '{"name": ', content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"]["base"][0].startswith("JSON parse error")


def test_unsupported_content_type_is_422(api_client):
    response = api_client.post("/api/v1/echo", "<x/>", content_type="application/xml")
    assert response.status_code == 422
    assert "Unsupported media type" in response.json()["errors"]["base"][0]


def test_body_over_the_limit_is_413_json(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.post("/api/v1/echo", {"name": "x" * 2000, "age": 1}, format="json")
    assert response.status_code == 413
    assert response.json() == {"message": "The request body is too large."}


def test_unhandled_error_is_500_json_without_trace(api_client, caplog):
    response = api_client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    assert "secret internals" not in response.content.decode()
    assert "secret internals" in caplog.text


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/no-such-thing/", "/api/v2/users"])
def test_unknown_url_is_404_json(api_client, settings, debug, path):
    # With DEBUG on, Django answers its HTML debug page unless the API replaces it.
    settings.DEBUG = debug
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Not found."}


def test_method_not_allowed_is_json(api_client):
    response = api_client.delete("/api/v1/echo")
    assert response.status_code == 405
    assert response.json() == {"message": 'Method "DELETE" not allowed.'}


def test_disallowed_host_is_json(client):
    response = client.get("/api/v1/health", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"message": "Bad request."}


class TestPagination:
    @pytest.fixture
    def authed(self, api_client, user):
        UserFactory.create_batch(29)  # 30 users in all
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return api_client

    def test_default_page_has_meta(self, authed):
        body = authed.get("/api/v1/users").json()
        assert len(body["users"]) == 25
        assert body["meta"] == {"page": 1, "per_page": 25, "total_count": 30, "total_pages": 2}

    def test_second_page(self, authed):
        body = authed.get("/api/v1/users?page=2").json()
        assert len(body["users"]) == 5
        assert body["meta"]["page"] == 2

    def test_per_page_is_clamped_to_100(self, authed):
        assert authed.get("/api/v1/users?per_page=1000000000").json()["meta"]["per_page"] == 100

    def test_out_of_range_page_is_empty_list(self, authed):
        body = authed.get("/api/v1/users?page=1000000000000").json()
        assert body["users"] == []
        assert body["meta"]["total_count"] == 30

    @pytest.mark.parametrize("query", ["page=-1", "page=0", "page=abc", "per_page=0"])
    def test_invalid_page_parameters_are_422(self, authed, query):
        response = authed.get(f"/api/v1/users?{query}")
        assert response.status_code == 422
        assert set(response.json()["errors"]) & {"page", "per_page"}


def test_domain_errors_leave_in_the_contracts_shape(rf):
    """Services raise leadsy.errors; the one handler gives each its status and body."""
    from leadsy import errors
    from leadsy.api.exceptions import exception_handler

    cases = [
        (
            errors.InvalidFields({"name": ["Too long."]}),
            422,
            {"message": "Validation failed", "errors": {"name": ["Too long."]}},
        ),
        (errors.NotFound(), 404, {"message": "Not found."}),
        (errors.Forbidden(), 403, {"message": "You do not have permission to perform this action."}),
        (errors.Conflict("Already done."), 409, {"message": "Already done."}),
        (errors.TooLarge("The file is too large."), 413, {"message": "The file is too large."}),
    ]
    for error, status, body in cases:
        response = exception_handler(error, {"view": None})
        assert (response.status_code, response.data) == (status, body), error
