"""Create, list, show, update and find users (endpoints 3, 5, 6, 9, 10)."""

import pytest
from django.contrib.auth import get_user_model

from companies.models import UserAccess
from tests.factories import PASSWORD, CompanyFactory, UserFactory, access

pytestmark = pytest.mark.django_db
User = get_user_model()

USER_KEYS = {
    "id", "first_name", "last_name", "email", "status", "full_name", "avatar_route",
    "primary_access", "primary_company", "onboarding_completed", "terms_accepted_at", "email_verified",
}  # fmt: skip


def new_user_body(**overrides):
    return {"first_name": "Ana", "last_name": "García", "email": "ana@example.com", **overrides}


class TestCreate:
    def test_public_sign_up_without_password_is_pending_and_emailed(
        self, api_client, sent_mail, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post("/api/v1/users", new_user_body(email="Ana@Example.com"), format="json")
        assert response.status_code == 201
        user = response.json()["user"]
        assert set(user) == USER_KEYS
        assert user["email"] == "ana@example.com"
        assert user["status"] == "pending"
        assert user["full_name"] == "Ana García"
        assert user["primary_access"] is None and user["primary_company"] is None
        mailoutbox = sent_mail()
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == ["ana@example.com"]
        assert "/set-password?uid=" in mailoutbox[0].body
        assert mailoutbox[0].alternatives[0][1] == "text/html"

    def test_sign_up_with_password_is_active_unverified_and_sent_a_verification_link(
        self, api_client, sent_mail, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post("/api/v1/users", new_user_body(password="a-strong-passphrase"), format="json")
        assert response.status_code == 201
        assert response.json()["user"]["status"] == "active"
        assert response.json()["user"]["email_verified"] is False
        assert User.objects.get(email="ana@example.com").check_password("a-strong-passphrase")
        [message] = sent_mail()
        assert message.to == ["ana@example.com"]
        assert "/verify-email?uid=" in message.body
        assert message.alternatives[0][1] == "text/html" and "/verify-email?uid=" in message.alternatives[0][0]

    def test_duplicate_email_in_other_case_is_422(self, api_client, user):
        response = api_client.post("/api/v1/users", new_user_body(email=user.email.upper()), format="json")
        assert response.status_code == 422
        assert "email" in response.json()["errors"]

    def test_weak_password_is_422_with_reasons(self, api_client):
        response = api_client.post("/api/v1/users", new_user_body(password="123"), format="json")
        assert response.status_code == 422
        assert len(response.json()["errors"]["password"]) >= 2
        assert not User.objects.filter(email="ana@example.com").exists()

    def test_every_bad_field_is_reported(self, api_client):
        response = api_client.post("/api/v1/users", {"email": "not-an-email", "first_name": "x" * 151}, format="json")
        assert response.status_code == 422
        assert {"email", "first_name", "last_name"} <= set(response.json()["errors"])

    def test_anonymous_caller_naming_a_company_gets_403_and_nothing_is_created(self, api_client, owner):
        body = new_user_body(
            user_accesses_attributes=[{"company_id": owner.company.id, "access_id": access("owner").id}]
        )
        response = api_client.post("/api/v1/users", body, format="json")
        assert response.status_code == 403
        assert not User.objects.filter(email="ana@example.com").exists()

    def test_owner_creates_a_user_in_its_company(self, client_for, owner):
        body = new_user_body(
            user_accesses_attributes=[{"company_id": owner.company.id, "access_id": access("agent").id}]
        )
        response = client_for(owner).post("/api/v1/users", body, format="json")
        assert response.status_code == 201
        user = response.json()["user"]
        assert user["primary_company"]["id"] == owner.company.id
        assert user["primary_access"]["access_name"] == "agent"

    def test_agent_cannot_grant_access_403(self, client_for, company_member):
        agent = company_member(level="agent")
        body = new_user_body(
            user_accesses_attributes=[{"company_id": agent.company.id, "access_id": access("agent").id}]
        )
        assert client_for(agent).post("/api/v1/users", body, format="json").status_code == 403
        assert not User.objects.filter(email="ana@example.com").exists()

    def test_company_the_caller_cannot_see_is_404(self, client_for, owner):
        other = CompanyFactory()
        body = new_user_body(user_accesses_attributes=[{"company_id": other.id, "access_id": access("agent").id}])
        assert client_for(owner).post("/api/v1/users", body, format="json").status_code == 404

    def test_one_bad_entry_creates_nothing(self, client_for, owner):
        body = new_user_body(
            user_accesses_attributes=[
                {"company_id": owner.company.id, "access_id": access("agent").id},
                {"company_id": owner.company.id, "access_id": 999999},
            ]
        )
        response = client_for(owner).post("/api/v1/users", body, format="json")
        assert response.status_code == 422
        assert not User.objects.filter(email="ana@example.com").exists()
        assert not UserAccess.objects.filter(user__email="ana@example.com").exists()

    def test_unknown_access_id_is_a_field_error(self, client_for, owner):
        body = new_user_body(user_accesses_attributes=[{"company_id": owner.company.id, "access_id": 999999}])
        response = client_for(owner).post("/api/v1/users", body, format="json")
        assert response.status_code == 422
        assert "access_id" in response.json()["errors"]

    def test_huge_company_id_is_422_not_500(self, client_for, owner):
        body = new_user_body(user_accesses_attributes=[{"company_id": 2**64, "access_id": 1}])
        assert client_for(owner).post("/api/v1/users", body, format="json").status_code == 422

    def test_sign_up_is_throttled_per_ip(self, api_client):
        for number in range(20):
            api_client.post("/api/v1/users", new_user_body(email=f"u{number}@example.com"), format="json")
        response = api_client.post("/api/v1/users", new_user_body(email="late@example.com"), format="json")
        assert response.status_code == 429
        assert "Retry-After" in response


class TestVisibility:
    def test_list_shows_only_users_sharing_a_company(self, client_for, owner, company_member, outsider):
        colleague = company_member(owner.company, "agent")
        response = client_for(owner).get("/api/v1/users")
        assert response.status_code == 200
        ids = {user["id"] for user in response.json()["users"]}
        assert ids == {owner.id, colleague.id}
        assert response.json()["meta"]["total_count"] == 2

    def test_user_in_no_company_sees_itself(self, client_for, lone_user):
        body = client_for(lone_user).get("/api/v1/users").json()
        assert [user["id"] for user in body["users"]] == [lone_user.id]

    def test_list_filtered_by_company(self, client_for, owner, company_member):
        second = CompanyFactory()
        UserAccess.objects.create(user=owner, company=second, access=access("admin"))
        member_of_second = company_member(second, "agent")
        company_member(owner.company, "agent")
        body = client_for(owner).get(f"/api/v1/users?company_id={second.id}").json()
        assert {user["id"] for user in body["users"]} == {owner.id, member_of_second.id}

    @pytest.mark.parametrize("company_id", ["invisible", str(2**63), "abc"])
    def test_list_of_a_company_the_caller_cannot_see_is_404(self, client_for, owner, company_id):
        if company_id == "invisible":
            company_id = str(CompanyFactory().id)
        assert client_for(owner).get(f"/api/v1/users?company_id={company_id}").status_code == 404

    def test_list_needs_a_token(self, api_client):
        assert api_client.get("/api/v1/users").status_code == 401

    def test_show_a_colleague(self, client_for, owner, company_member):
        colleague = company_member(owner.company, "agent")
        response = client_for(owner).get(f"/api/v1/users/{colleague.id}")
        assert response.status_code == 200
        assert response.json()["user"]["id"] == colleague.id

    def test_show_an_outsider_is_404_like_an_unknown_id(self, client_for, owner, outsider):
        client = client_for(owner)
        invisible = client.get(f"/api/v1/users/{outsider.id}")
        unknown = client.get("/api/v1/users/999999")
        assert invisible.status_code == unknown.status_code == 404
        assert invisible.content == unknown.content

    def test_huge_id_is_404(self, client_for, owner):
        assert client_for(owner).get(f"/api/v1/users/{2**64}").status_code == 404

    def test_find_by_email_case_insensitive(self, client_for, owner, company_member):
        colleague = company_member(owner.company, "agent")
        response = client_for(owner).get(f"/api/v1/users/find_by_email?email={colleague.email.upper()}")
        assert response.status_code == 200
        assert response.json()["user"]["id"] == colleague.id

    def test_find_by_email_of_an_outsider_is_404(self, client_for, owner, outsider):
        assert client_for(owner).get(f"/api/v1/users/find_by_email?email={outsider.email}").status_code == 404

    def test_find_by_email_without_email_is_422(self, client_for, owner):
        response = client_for(owner).get("/api/v1/users/find_by_email")
        assert response.status_code == 422
        assert "email" in response.json()["errors"]


class TestUpdate:
    def test_update_own_name(self, client_for, user):
        response = client_for(user).put(f"/api/v1/users/{user.id}", {"first_name": "Zoe"}, format="json")
        assert response.status_code == 200
        assert response.json()["user"]["first_name"] == "Zoe"
        user.refresh_from_db()
        assert user.first_name == "Zoe" and user.last_name  # PUT is partial

    def test_own_password_change_needs_current_password(self, client_for, user):
        response = client_for(user).put(f"/api/v1/users/{user.id}", {"password": "another-passphrase"}, format="json")
        assert response.status_code == 422
        assert "current_password" in response.json()["errors"]
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_weak_new_password_is_422(self, client_for, user):
        body = {"password": "password", "current_password": PASSWORD}
        response = client_for(user).put(f"/api/v1/users/{user.id}", body, format="json")
        assert response.status_code == 422
        assert "password" in response.json()["errors"]

    def test_email_taken_is_422(self, client_for, user):
        other = UserFactory()
        response = client_for(user).put(f"/api/v1/users/{user.id}", {"email": other.email.upper()}, format="json")
        assert response.status_code == 422
        assert "email" in response.json()["errors"]

    def test_agent_cannot_update_a_colleague_403(self, client_for, company_member):
        agent = company_member(level="agent")
        colleague = company_member(agent.company, "agent")
        response = client_for(agent).put(f"/api/v1/users/{colleague.id}", {"first_name": "X"}, format="json")
        assert response.status_code == 403
        colleague.refresh_from_db()
        assert colleague.first_name != "X"

    def test_a_colleague_who_may_not_change_you_gets_403_even_for_an_empty_body(self, client_for, company_member):
        agent = company_member(level="agent")
        colleague = company_member(agent.company, "agent")
        assert client_for(agent).put(f"/api/v1/users/{colleague.id}", {}, format="json").status_code == 403

    def test_admin_cannot_set_a_members_email_or_password_403(self, client_for, company_member):
        admin = company_member(level="admin")
        agent = company_member(admin.company, "agent")
        for body in ({"email": "new-address@example.com"}, {"password": "reset-by-admin-passphrase"}):
            response = client_for(admin).put(f"/api/v1/users/{agent.id}", body, format="json")
            assert response.status_code == 403
        agent.refresh_from_db()
        assert agent.email != "new-address@example.com" and agent.check_password(PASSWORD)

    def test_admin_renames_a_member_of_only_its_companies(self, client_for, company_member):
        admin = company_member(level="admin")
        agent = company_member(admin.company, "agent")
        response = client_for(admin).put(f"/api/v1/users/{agent.id}", {"last_name": "Renamed"}, format="json")
        assert response.status_code == 200
        assert response.json()["user"]["last_name"] == "Renamed"

    def test_nobody_changes_its_own_status(self, client_for, owner):
        response = client_for(owner).put(f"/api/v1/users/{owner.id}", {"status": "inactive"}, format="json")
        assert response.status_code == 403
        owner.refresh_from_db()
        assert owner.status == "active"

    def test_invalid_status_is_422(self, client_for, company_member):
        admin = company_member(level="admin")
        agent = company_member(admin.company, "agent")
        response = client_for(admin).put(f"/api/v1/users/{agent.id}", {"status": "pending"}, format="json")
        assert response.status_code == 422

    def test_forbidden_fields_are_ignored(self, client_for, user):
        body = {"is_staff": True, "id": 12345, "onboarding_completed": True, "first_name": "Kept"}
        response = client_for(user).put(f"/api/v1/users/{user.id}", body, format="json")
        assert response.status_code == 200
        user.refresh_from_db()
        assert not user.is_staff and user.id != 12345 and not user.onboarding_completed
        assert "password" not in response.json()["user"]

    def test_update_an_outsider_is_404(self, client_for, owner, outsider):
        response = client_for(owner).put(f"/api/v1/users/{outsider.id}", {"first_name": "X"}, format="json")
        assert response.status_code == 404

    def test_update_needs_a_token(self, api_client, user):
        assert api_client.put(f"/api/v1/users/{user.id}", {"first_name": "X"}, format="json").status_code == 401


@pytest.mark.parametrize("email", ["not-an-email", "a\x00b@example.com"])
def test_find_by_email_with_a_malformed_email_is_422(client_for, owner, email):
    response = client_for(owner).get("/api/v1/users/find_by_email", {"email": email})
    assert response.status_code == 422


def test_creating_a_user_past_the_plans_max_users_is_422_and_creates_nothing(client_for, owner, company_member):
    from billing.services import subscribe_free

    subscribe_free(company=owner.company)  # Free: 3 users
    company_member(owner.company, "agent")
    company_member(owner.company, "agent")
    body = new_user_body(user_accesses_attributes=[{"company_id": owner.company.id, "access_id": access("agent").id}])
    response = client_for(owner).post("/api/v1/users", body, format="json")
    assert response.status_code == 422
    assert "max_users" in response.json()["errors"]["base"][0]
    assert not User.objects.filter(email="ana@example.com").exists()


def test_admin_cannot_create_an_owner_403(client_for, company_member):
    admin = company_member(level="admin")
    body = new_user_body(user_accesses_attributes=[{"company_id": admin.company.id, "access_id": access("owner").id}])
    assert client_for(admin).post("/api/v1/users", body, format="json").status_code == 403
    assert not User.objects.filter(email="ana@example.com").exists()


def test_user_list_costs_constant_queries(client_for, owner, company_member, django_assert_max_num_queries):
    for _ in range(6):
        company_member(owner.company, "agent")
    client = client_for(owner)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/users").json()
    assert len(body["users"]) == 7
    assert all(user["primary_company"]["id"] == owner.company.id for user in body["users"])


def test_admin_cannot_deactivate_or_take_over_an_owner_403(client_for, owner, company_member):
    admin = company_member(owner.company, "admin")
    client = client_for(admin)
    for body in ({"status": "inactive"}, {"email": "mine-now@example.com"}, {"password": "taken-over-passphrase"}):
        assert client.put(f"/api/v1/users/{owner.id}", body, format="json").status_code == 403
    owner.refresh_from_db()
    assert owner.status == "active" and owner.email != "mine-now@example.com"


def test_owner_deactivates_an_admin(client_for, owner, company_member):
    admin = company_member(owner.company, "admin")
    response = client_for(owner).put(f"/api/v1/users/{admin.id}", {"status": "inactive"}, format="json")
    assert response.status_code == 200
    assert response.json()["user"]["status"] == "inactive"
