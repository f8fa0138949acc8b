"""Sentry through a fake transport: a 500 is captured, without the caller's email, token or request body."""

import json

import pytest
import sentry_sdk
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView
from sentry_sdk.transport import Transport

from leadsy import sentry

EMAIL = "ana.secret@example.com"
PASSWORD = "correct-horse-battery-staple"


class CrashingView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        # An error message quoting what the code had at hand, as real ones do.
        raise ValueError(f"could not handle {request.data['email']} with {request.headers['Authorization']}")


urlpatterns = [
    path("api/v1/crash", CrashingView.as_view()),
    path("", include("leadsy.urls")),
]


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [item.payload.json for envelope in self.envelopes for item in envelope.items if item.type == "event"]


@pytest.fixture
def captured():
    transport = CapturingTransport()
    sentry.init(dsn="https://public@sentry.invalid/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # off again for the tests after this one


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_500_is_captured_without_email_token_or_body(api_client, owner, captured):
    from tests.conftest import token_for

    token = token_for(owner)
    response = api_client.post(
        "/api/v1/crash",
        {"email": EMAIL, "password": PASSWORD, "file": "First Name,Email\nAna,ana@example.com\n"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_COOKIE=f"sessionid={token}",
    )
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    sentry_sdk.flush()

    events = captured.events()
    assert events, "no event captured for the 500"
    assert any(
        value["type"] == "ValueError" for event in events for value in event.get("exception", {}).get("values", [])
    )
    text = json.dumps(events)
    for secret in (EMAIL, "ana@example.com", token, token.split(".")[1], PASSWORD, "First Name", owner.email):
        assert secret not in text
    assert "[Filtered]" in text  # the message was kept, with the values cut out


def test_scrub_keeps_sentrys_own_fields_and_cuts_personal_ones():
    event = {
        "event_id": "0123456789abcdef0123456789abcdef",
        "user": {"email": EMAIL, "ip_address": "10.0.0.1"},
        "request": {"data": {"password": PASSWORD}, "headers": {"Authorization": "Bearer x", "Accept": "*/*"}},
        "logentry": {"message": "Import %s for %s", "params": ["imp_abc", EMAIL]},
        "extra": {"invitation_code": "short"},
    }
    scrubbed = sentry.scrub(event)
    assert scrubbed["event_id"] == "0123456789abcdef0123456789abcdef"
    assert "user" not in scrubbed and "data" not in scrubbed["request"]
    assert scrubbed["request"]["headers"] == {"Authorization": "[Filtered]", "Accept": "*/*"}
    assert scrubbed["logentry"]["params"] == ["imp_abc", "[Filtered]"]
    assert scrubbed["extra"]["invitation_code"] == "[Filtered]"
