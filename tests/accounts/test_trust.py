"""Issue 13's exploits, each through the HTTP layer with real JWTs and the real outbox (R31 to R35).

Every test here passed as an attack on the code before issue 13; each now fails the attacker.
"""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model

from accounts.throttles import SignupIPThrottle
from companies.models import Invitation, UserAccess
from tests.accounts.hashers import CountingMD5PasswordHasher
from tests.factories import PASSWORD, CompanyFactory, UserAccessFactory, UserFactory, access

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a-brand-new-passphrase-13"


def login(api_client, email, password=PASSWORD):
    return api_client.post("/api/v1/users/login", {"email": email, "password": password}, format="json")


def link_parts(message, path: str) -> dict:
    """`{uid, token}` of the `path` link in an email (text part)."""
    url = re.search(rf"https?://\S+/{path}\?\S+", message.body).group(0)
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}


def user_row(user) -> dict:
    return User.objects.filter(pk=user.pk).values().get()


@pytest.fixture
def company_a(company_member):
    """Company A: an owner and an agent B."""
    owner = company_member(level="owner")
    agent = company_member(owner.company, "agent")
    return owner, agent


# --- R31: account takeover by a co-member -----------------------------------------------------------


def test_agent_cannot_take_over_its_owner_through_a_company_of_its_own(client_for, api_client, company_a):
    owner, agent = company_a
    before = user_row(owner)
    attacker = client_for(agent)
    company_x = attacker.post("/api/v1/companies", {"name": "X"}, format="json").json()["company"]["id"]

    grant = {"company_id": company_x, "access_id": access("agent").id, "primary": False}
    assert attacker.post(f"/api/v1/users/{owner.id}/user_access", grant, format="json").status_code == 404
    bulk = {"user_accesses_attributes": [grant]}
    assert attacker.put(f"/api/v1/users/{owner.id}/user_access", bulk, format="json").status_code == 404
    assert not UserAccess.objects.filter(user=owner, company_id=company_x).exists()

    for body in ({"password": NEW_PASSWORD}, {"email": "mine-now@example.com"}, {"status": "inactive"}):
        assert attacker.put(f"/api/v1/users/{owner.id}", body, format="json").status_code == 403, body
    assert user_row(owner) == before
    assert login(api_client, owner.email).status_code == 200


def test_administering_one_of_the_users_companies_is_not_enough(client_for, company_a, company_member):
    """Even an owner/admin of one shared company cannot rename or deactivate a user who is elsewhere too."""
    owner, agent = company_a
    elsewhere = company_member(level="owner")
    UserAccessFactory(user=agent, company=elsewhere.company, access=access("agent"))
    for body in ({"first_name": "Renamed"}, {"status": "inactive"}):
        assert client_for(elsewhere).put(f"/api/v1/users/{agent.id}", body, format="json").status_code == 403
    agent.refresh_from_db()
    assert agent.first_name != "Renamed" and agent.status == "active"
    # Its own company's owner administers every company of the agent? No: `elsewhere` is not its.
    assert client_for(owner).put(f"/api/v1/users/{agent.id}", {"status": "inactive"}, format="json").status_code == 403


# --- R32: credentials are the user's own -------------------------------------------------------------


@pytest.mark.parametrize("level", ["owner", "admin", "staff"])
@pytest.mark.parametrize("body", [{"password": NEW_PASSWORD}, {"email": "elsewhere@example.com"}])
def test_nobody_else_sets_a_members_credentials(client_for, company_a, company_member, level, body):
    owner, agent = company_a
    caller = owner if level == "owner" else company_member(owner.company, "admin")
    if level == "staff":
        caller.is_staff = caller.is_superuser = True
        caller.save()
    before = user_row(agent)
    assert client_for(caller).put(f"/api/v1/users/{agent.id}", body, format="json").status_code == 403
    assert user_row(agent) == before


@pytest.mark.parametrize("current", [None, "", "not-my-password"])
@pytest.mark.parametrize("body", [{"password": NEW_PASSWORD}, {"email": "elsewhere@example.com"}])
def test_own_credentials_need_the_current_password(client_for, user, current, body):
    before = user_row(user)
    if current is not None:
        body = {**body, "current_password": current}
    response = client_for(user).put(f"/api/v1/users/{user.id}", body, format="json")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["current_password"]
    assert user_row(user) == before


def test_a_refused_change_changes_nothing_at_all(client_for, user):
    """Names and a bad password in one request: the names stay too (nothing half-changed)."""
    before = user_row(user)
    body = {"first_name": "Half", "password": NEW_PASSWORD, "current_password": "wrong"}
    assert client_for(user).put(f"/api/v1/users/{user.id}", body, format="json").status_code == 422
    assert user_row(user) == before


def test_email_change_waits_for_the_link_to_the_new_address_and_tells_the_old(
    client_for, api_client, user, sent_mail, django_capture_on_commit_callbacks
):
    old_email = user.email
    body = {"email": "New.Address@example.com", "current_password": PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).put(f"/api/v1/users/{user.id}", body, format="json")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == old_email  # not yet
    user.refresh_from_db()
    assert user.email == old_email
    confirm_mail, notice = sorted(sent_mail(), key=lambda message: message.to != ["new.address@example.com"])
    assert confirm_mail.to == ["new.address@example.com"]
    assert notice.to == [old_email] and "new.address@example.com" in notice.body
    assert all(message.alternatives[0][1] == "text/html" for message in (confirm_mail, notice))
    link = link_parts(confirm_mail, "confirm-email-change")
    assert "token" not in notice.body and link["token"] not in notice.body  # the old mailbox cannot confirm

    confirmed = api_client.post("/api/v1/users/email_change/confirm", link, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["user"]["email"] == "new.address@example.com"
    assert confirmed.json()["user"]["email_verified"] is True
    assert login(api_client, old_email).status_code == 401
    assert login(api_client, "new.address@example.com").status_code == 200
    again = api_client.post("/api/v1/users/email_change/confirm", link, format="json")
    assert again.status_code == 422 and "token" in again.json()["errors"]


def test_own_password_change_with_the_current_password(client_for, api_client, user):
    body = {"password": NEW_PASSWORD, "current_password": PASSWORD}
    assert client_for(user).put(f"/api/v1/users/{user.id}", body, format="json").status_code == 200
    assert login(api_client, user.email, NEW_PASSWORD).status_code == 200
    assert login(api_client, user.email, PASSWORD).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"uid": "MQ", "token": "x"},
        {"uid": "\x00", "token": "\x00"},
        {"uid": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "token": "a" * 1024},
        {"uid": 12, "token": ["x"]},
        {},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/users/email_change/confirm", "/api/v1/users/verify_email"])
def test_bad_links_are_422(api_client, user, body, path):
    response = api_client.post(path, body, format="json")
    assert response.status_code == 422, response.content


# --- R33: consent to join ----------------------------------------------------------------------------


def test_owner_cannot_add_a_stranger_or_a_colleague_from_elsewhere(client_for, company_member, sent_mail):
    owner_x = company_member(level="owner")
    stranger = company_member(level="owner")  # shares nothing with owner_x
    club = CompanyFactory()  # a colleague: shares a company with owner_x, where owner_x is only an agent
    colleague = UserAccessFactory(company=club, access=access("owner"), primary=True).user
    UserAccessFactory(user=owner_x, company=club, access=access("agent"))
    grant = {"company_id": owner_x.company.id, "access_id": access("agent").id}
    for target in (stranger, colleague):
        client = client_for(owner_x)
        assert client.post(f"/api/v1/users/{target.id}/user_access", grant, format="json").status_code == 404
        body = {"user_accesses_attributes": [grant]}
        assert client.put(f"/api/v1/users/{target.id}/user_access", body, format="json").status_code == 404
        assert not UserAccess.objects.filter(user=target, company=owner_x.company).exists()


def test_the_same_colleague_joins_through_an_invitation_it_accepts(
    client_for, company_member, sent_mail, django_capture_on_commit_callbacks
):
    owner_x = company_member(level="owner")
    colleague = company_member(level="owner")
    grant = {"company_id": owner_x.company.id, "access_id": access("agent").id}
    with django_capture_on_commit_callbacks(execute=True):
        invited = client_for(owner_x).post("/api/v1/invitations", {"email": colleague.email, **grant}, format="json")
    assert invited.status_code == 201
    [message] = sent_mail()
    code = re.search(r"/invitations/([\w-]+)", message.body).group(1)
    assert client_for(colleague).post(f"/api/v1/invitations/{code}/accept").status_code == 200
    assert UserAccess.objects.filter(user=colleague, company=owner_x.company).exists()


def test_an_admin_may_move_its_own_colleague_into_another_of_its_companies(client_for, company_member):
    owner = company_member(level="owner")
    agent = company_member(owner.company, "agent")
    second = client_for(owner).post("/api/v1/companies", {"name": "Second"}, format="json").json()["company"]
    grant = {"company_id": second["id"], "access_id": access("agent").id}
    assert client_for(owner).post(f"/api/v1/users/{agent.id}/user_access", grant, format="json").status_code == 201


def test_a_user_leaves_a_company_unless_it_is_the_last_owner(client_for, company_member):
    owner = company_member(level="owner")
    agent = company_member(owner.company, "agent")
    own = agent.user_accesses.get(company=owner.company)
    assert client_for(agent).delete(f"/api/v1/users/{agent.id}/user_access/{own.id}").status_code == 200
    assert not UserAccess.objects.filter(pk=own.pk).exists()
    last = owner.user_accesses.get(company=owner.company)
    response = client_for(owner).delete(f"/api/v1/users/{owner.id}/user_access/{last.id}")
    assert response.status_code == 422
    assert UserAccess.objects.filter(pk=last.pk).exists()


# --- R34: invitation theft ---------------------------------------------------------------------------


@pytest.fixture
def victim_invitation(client_for, company_member):
    owner = company_member(level="owner")
    body = {"email": "victim@example.com", "company_id": owner.company.id, "access_id": access("admin").id}
    code = client_for(owner).post("/api/v1/invitations", body, format="json").json()["invitation"]["code"]
    return Invitation.objects.get(code=code)


def test_an_unverified_sign_up_with_the_invited_email_sees_no_code(
    api_client, client_for, victim_invitation, sent_mail, django_capture_on_commit_callbacks
):
    body = {"first_name": "Mallory", "last_name": "X", "email": "victim@example.com", "password": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        signed_up = api_client.post("/api/v1/users", body, format="json")
    assert signed_up.status_code == 201 and signed_up.json()["user"]["email_verified"] is False
    mallory = User.objects.get(email="victim@example.com")
    pending = client_for(mallory).get("/api/v1/invitations/pending?email=victim@example.com").json()
    assert [invitation["id"] for invitation in pending["invitations"]] == [victim_invitation.id]
    assert pending["invitations"][0]["code"] is None
    assert victim_invitation.code not in str(pending)
    assert not UserAccess.objects.filter(user=mallory, company=victim_invitation.company).exists()

    # The real owner of the mailbox opens the verification link: now the code shows.
    [verification] = sent_mail()
    verified = api_client.post("/api/v1/users/verify_email", link_parts(verification, "verify-email"), format="json")
    assert verified.status_code == 200 and verified.json()["user"]["email_verified"] is True
    pending = client_for(mallory).get("/api/v1/invitations/pending").json()
    assert pending["invitations"][0]["code"] == victim_invitation.code


def test_renaming_oneself_to_an_invited_email_steals_nothing(client_for, victim_invitation, sent_mail):
    mallory = UserFactory(email_verified=True)
    body = {"email": "victim@example.com", "current_password": PASSWORD}
    assert client_for(mallory).put(f"/api/v1/users/{mallory.id}", body, format="json").status_code == 200
    mallory.refresh_from_db()
    assert mallory.email != "victim@example.com"  # only the link sent to victim@ would change it
    pending = client_for(mallory).get("/api/v1/invitations/pending?email=victim@example.com").json()
    assert pending["invitations"] == []
    accept = client_for(mallory).post(f"/api/v1/invitations/{victim_invitation.code}/accept")
    assert accept.status_code == 403  # even holding the code, the JWT's email must be the invitation's


def test_verification_resend_is_throttled_and_silent_when_verified(
    client_for, user, sent_mail, django_capture_on_commit_callbacks
):
    client = client_for(user)
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/v1/users/verify_email/resend").status_code == 200
    assert len(sent_mail()) == 5
    response = client.post("/api/v1/users/verify_email/resend")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    verified = UserFactory(email_verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(verified).post("/api/v1/users/verify_email/resend").status_code == 200
    assert len(sent_mail()) == 5


def test_a_verification_link_works_once(api_client, user, sent_mail, django_capture_on_commit_callbacks, client_for):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(user).post("/api/v1/users/verify_email/resend")
    link = link_parts(sent_mail()[0], "verify-email")
    assert api_client.post("/api/v1/users/verify_email", link, format="json").status_code == 200
    assert api_client.post("/api/v1/users/verify_email", link, format="json").status_code == 422


# --- R35: sign-up and admin-login brute force -----------------------------------------------------------


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingMD5PasswordHasher"]
    CountingMD5PasswordHasher.calls = 0
    return CountingMD5PasswordHasher


def sign_up(client, n: int):
    body = {"first_name": "S", "last_name": str(n), "email": f"signup{n}@example.com", "password": NEW_PASSWORD}
    return client.post("/api/v1/users", body, format="json")


def test_a_jwt_does_not_lift_the_sign_up_limit_per_ip(client_for, user, counting_hasher):
    client = client_for(user)
    statuses = [sign_up(client, n).status_code for n in range(20)]
    assert statuses == [201] * 20
    hashed = counting_hasher.calls
    for n in range(20, 30):
        response = sign_up(client, n)
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert counting_hasher.calls == hashed  # refused before any password was hashed
    assert User.objects.filter(email__startswith="signup").count() == 20


def test_sign_ups_with_a_jwt_are_limited_per_caller_too(client_for, user, monkeypatch):
    monkeypatch.setattr(SignupIPThrottle, "rate", "1000/hour", raising=False)  # so that the per-caller limit shows
    client = client_for(user)
    assert [sign_up(client, n).status_code for n in range(50)] == [201] * 50
    response = sign_up(client, 50)
    assert response.status_code == 429 and int(response["Retry-After"]) > 3600  # per day


def test_admin_login_is_throttled_like_the_api_login_before_hashing(client, counting_hasher):
    staff = UserFactory(is_staff=True, is_superuser=True)
    attempt = {"username": staff.email, "password": "wrong"}
    assert [client.post("/admin/login/", attempt).status_code for _ in range(10)] == [200] * 10  # form + error
    hashed = counting_hasher.calls
    assert hashed >= 10
    assert {client.post("/admin/login/", attempt).status_code for _ in range(20)} == {429}  # 10/min per email
    assert counting_hasher.calls == hashed
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_admin_and_api_logins_share_one_budget(client, api_client, user):
    for _ in range(5):
        assert login(api_client, user.email, "wrong").status_code == 401
        assert client.post("/admin/login/", {"username": user.email, "password": "wrong"}).status_code == 200
    assert login(api_client, user.email, "wrong").status_code == 429


def test_invitations_are_limited_per_company_and_only_admins_spend_the_budget(
    client_for, company_member, monkeypatch, settings
):
    from companies.views import InvitationsPerCompanyThrottle

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["invitations_company"] == "100/day"
    monkeypatch.setattr(InvitationsPerCompanyThrottle, "rate", "3/day", raising=False)
    owner = company_member(level="owner")
    outsider = company_member(level="owner")
    agent = company_member(owner.company, "agent")

    def invite(client, n):
        body = {"email": f"guest{n}@example.com", "company_id": owner.company.id, "access_id": access("agent").id}
        return client.post("/api/v1/invitations", body, format="json")

    # Refused callers (outsider 404, agent 403) do not count against the company.
    assert [invite(client_for(outsider), n).status_code for n in range(5)] == [404] * 5
    assert [invite(client_for(agent), n).status_code for n in range(5)] == [403] * 5
    assert [invite(client_for(owner), n).status_code for n in range(3)] == [201] * 3
    response = invite(client_for(owner), 3)
    assert response.status_code == 429 and int(response["Retry-After"]) > 3600
    assert Invitation.objects.filter(company=owner.company).count() == 3


def test_the_schema_documents_verification_and_email_change(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/users/verify_email",
        "/api/v1/users/verify_email/resend",
        "/api/v1/users/email_change/confirm",
    ):
        assert "post" in schema["paths"][path], path
    assert "email_verified" in schema["components"]["schemas"]["User"]["properties"]
    assert schema["components"]["schemas"]["AuthErrorCodeEnum"]["enum"] == [
        "not_authenticated",
        "token_expired",
        "token_invalid",
    ]
    login_401 = schema["paths"]["/api/v1/users/login"]["post"]["responses"]["401"]
    assert login_401["content"]["application/json"]["schema"]["$ref"].endswith("/AuthError")


def test_guessing_the_current_password_is_throttled_before_hashing(client_for, user, counting_hasher):
    client = client_for(user)
    for n in range(10):
        body = {"password": NEW_PASSWORD, "current_password": f"guess-{n}"}
        assert client.put(f"/api/v1/users/{user.id}", body, format="json").status_code == 422
    hashed = counting_hasher.calls
    body = {"password": NEW_PASSWORD, "current_password": PASSWORD}
    response = client.put(f"/api/v1/users/{user.id}", body, format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert counting_hasher.calls == hashed
    # Renaming is not a credential change: not counted.
    assert client.put(f"/api/v1/users/{user.id}", {"first_name": "Still"}, format="json").status_code == 200
