import pytest

from billing.services import membership_attach
from companies.models import UserAccess
from tests.factories import CompanyFactory, UserAccessFactory, UserFactory, access, membership

pytestmark = pytest.mark.django_db


def url(user, access_id=None) -> str:
    return f"/api/v1/users/{user.id}/user_access" + (f"/{access_id}" if access_id else "")


@pytest.fixture
def colleague(owner, company_member):
    """An agent of the owner's company (so the owner can see it), primary there."""
    return company_member(owner.company, "agent")


def test_owner_gives_a_colleague_an_access_in_another_company_it_owns(client_for, owner, colleague):
    second = UserAccessFactory(user=owner, access=access("owner")).company
    response = client_for(owner).post(
        url(colleague), {"company_id": second.id, "access_id": access("manager").id}, format="json"
    )
    assert response.status_code == 201
    body = response.json()["user_access"]
    assert body == {
        "id": body["id"],
        "user_id": colleague.id,
        "company_id": second.id,
        "access_id": access("manager").id,
        "access_name": "manager",
        "primary": False,
    }


def test_primary_true_moves_the_primary(client_for, owner, colleague):
    second = UserAccessFactory(user=owner, access=access("owner")).company
    client_for(owner).post(
        url(colleague), {"company_id": second.id, "access_id": access("agent").id, "primary": True}, format="json"
    )
    assert list(UserAccess.objects.filter(user=colleague, primary=True).values_list("company_id", flat=True)) == [
        second.id
    ]


def test_first_access_of_a_user_becomes_primary(owner, colleague):
    from companies.services import user_access_create

    loner = UserFactory()
    created = user_access_create(actor=None, user=loner, company=owner.company, access=access("agent"))
    assert created.primary is True


def test_list_shows_accesses_in_companies_the_caller_sees(client_for, owner, colleague):
    UserAccessFactory(user=colleague, access=access("agent"))  # a company the owner does not see
    body = client_for(owner).get(url(colleague)).json()
    assert [a["company_id"] for a in body["user_accesses"]] == [owner.company.id]
    assert body["meta"]["total_count"] == 1


def test_list_filtered_by_company_and_invisible_company_is_404(client_for, owner, colleague):
    client = client_for(owner)
    assert client.get(url(colleague) + f"?company_id={owner.company.id}").json()["meta"]["total_count"] == 1
    assert client.get(url(colleague) + f"?company_id={CompanyFactory().id}").status_code == 404


def test_invisible_user_is_404(client_for, owner):
    stranger = UserFactory()
    client = client_for(owner)
    assert client.get(url(stranger)).status_code == 404
    response = client.post(
        url(stranger), {"company_id": owner.company.id, "access_id": access("agent").id}, format="json"
    )
    assert response.status_code == 404
    assert not UserAccess.objects.filter(user=stranger).exists()


def test_unknown_access_id_is_422(client_for, owner, colleague):
    second = UserAccessFactory(user=owner, access=access("owner")).company
    response = client_for(owner).post(url(colleague), {"company_id": second.id, "access_id": 999999}, format="json")
    assert response.status_code == 422
    assert "access_id" in response.json()["errors"]


def test_company_of_another_tenant_is_404(client_for, owner, colleague):
    response = client_for(owner).post(
        url(colleague), {"company_id": CompanyFactory().id, "access_id": access("agent").id}, format="json"
    )
    assert response.status_code == 404


def test_a_second_access_in_the_same_company_is_422(client_for, owner, colleague):
    response = client_for(owner).post(
        url(colleague), {"company_id": owner.company.id, "access_id": access("admin").id}, format="json"
    )
    assert response.status_code == 422


def test_admin_cannot_grant_the_owner_level(client_for, owner, company_member, colleague):
    admin = company_member(owner.company, "admin")
    response = client_for(admin).put(
        url(colleague),
        {"user_accesses_attributes": [{"id": colleague.user_accesses.get().id, "access_id": access("owner").id}]},
        format="json",
    )
    assert response.status_code == 403
    assert colleague.user_accesses.get().access.name == "agent"


def test_manager_cannot_manage_accesses(client_for, owner, company_member, colleague):
    manager = company_member(owner.company, "manager")
    response = client_for(manager).delete(url(colleague, colleague.user_accesses.get().id))
    assert response.status_code == 403
    assert colleague.user_accesses.exists()


class TestMaxUsers:
    def test_free_plan_allows_three_users_then_422_naming_the_limit(self, client_for, owner, company_member):
        company_member(owner.company, "agent")
        company_member(owner.company, "agent")  # owner + 2 = 3 = the Free plan's max_users
        newcomer = UserAccessFactory(user=UserFactory(), company=UserAccessFactory(user=owner).company).user
        response = client_for(owner).post(
            url(newcomer), {"company_id": owner.company.id, "access_id": access("agent").id}, format="json"
        )
        assert response.status_code == 422
        message = response.json()["errors"]["base"][0]
        assert "max_users" in message
        assert "3 users" in message
        assert not UserAccess.objects.filter(user=newcomer, company=owner.company).exists()

    def test_attach_plan_then_the_limit_grows(self, client_for, owner, company_member):
        membership_attach(company=owner.company, membership=membership("Pro"))
        company_member(owner.company, "agent")
        company_member(owner.company, "agent")
        newcomer = UserAccessFactory(user=UserFactory(), company=UserAccessFactory(user=owner).company).user
        response = client_for(owner).post(
            url(newcomer), {"company_id": owner.company.id, "access_id": access("agent").id}, format="json"
        )
        assert response.status_code == 201


class TestDelete:
    def test_owner_removes_a_colleague(self, client_for, owner, colleague):
        response = client_for(owner).delete(url(colleague, colleague.user_accesses.get().id))
        assert response.status_code == 200
        assert response.json() == {"message": "The access was removed."}
        assert not colleague.user_accesses.exists()

    def test_removing_the_primary_moves_it_to_the_next_access(self, client_for, owner, colleague):
        second = UserAccessFactory(
            user=colleague, company=UserAccessFactory(user=owner).company, access=access("agent")
        )
        client_for(owner).delete(url(colleague, colleague.user_accesses.get(primary=True).id))
        second.refresh_from_db()
        assert second.primary is True

    def test_the_last_owner_cannot_be_removed(self, client_for, owner):
        response = client_for(owner).delete(url(owner, owner.user_accesses.get().id))
        assert response.status_code == 422
        assert "last owner" in response.json()["errors"]["base"][0]
        assert owner.user_accesses.exists()

    def test_an_access_in_an_invisible_company_is_404(self, client_for, owner, colleague):
        hidden = UserAccessFactory(user=colleague, access=access("agent"))
        assert client_for(owner).delete(url(colleague, hidden.id)).status_code == 404
        assert client_for(owner).delete(url(colleague, 999999)).status_code == 404


class TestBulkUpdate:
    def put(self, client, user, entries):
        return client.put(url(user), {"user_accesses_attributes": entries}, format="json")

    def test_create_update_and_destroy_at_once(self, client_for, owner, colleague):
        second = UserAccessFactory(user=owner, access=access("owner")).company
        third = UserAccessFactory(user=owner, access=access("owner")).company
        in_third = UserAccessFactory(user=colleague, company=third, access=access("agent"))
        first = colleague.user_accesses.get(company=owner.company)
        response = self.put(
            client_for(owner),
            colleague,
            [
                {"id": first.id, "access_id": access("manager").id},
                {"company_id": second.id, "access_id": access("admin").id, "primary": True},
                {"id": in_third.id, "_destroy": True},
            ],
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        rows = {a["company_id"]: (a["access_name"], a["primary"]) for a in body["user_accesses"]}
        assert rows == {owner.company.id: ("manager", False), second.id: ("admin", True)}
        assert body["meta"]["total_count"] == 2

    def test_all_or_nothing_when_one_entry_is_invalid(self, client_for, owner, colleague):
        second = UserAccessFactory(user=owner, access=access("owner")).company
        first = colleague.user_accesses.get()
        response = self.put(
            client_for(owner),
            colleague,
            [
                {"id": first.id, "access_id": access("manager").id},
                {"company_id": second.id, "access_id": 999999},
            ],
        )
        assert response.status_code == 422
        errors = response.json()["errors"]["user_accesses_attributes"]
        assert errors[0] == {}
        assert "access_id" in errors[1]
        first.refresh_from_db()
        assert first.access.name == "agent"
        assert not UserAccess.objects.filter(user=colleague, company=second).exists()

    def test_all_or_nothing_when_a_rule_fails_after_some_changes(self, client_for, owner, colleague):
        first = colleague.user_accesses.get()
        own = owner.user_accesses.get()
        response = self.put(
            client_for(owner),
            owner,
            [{"id": own.id, "access_id": access("admin").id}],  # the company would have no owner
        )
        assert response.status_code == 422
        own.refresh_from_db()
        first.refresh_from_db()
        assert own.access.name == "owner"

    def test_two_primaries_is_422(self, client_for, owner, colleague):
        second = UserAccessFactory(user=owner, access=access("owner")).company
        third = UserAccessFactory(user=owner, access=access("owner")).company
        response = self.put(
            client_for(owner),
            colleague,
            [
                {"company_id": second.id, "access_id": access("agent").id, "primary": True},
                {"company_id": third.id, "access_id": access("agent").id, "primary": True},
            ],
        )
        assert response.status_code == 422
        assert colleague.user_accesses.count() == 1

    def test_unsetting_the_only_primary_is_422(self, client_for, owner, colleague):
        response = self.put(client_for(owner), colleague, [{"id": colleague.user_accesses.get().id, "primary": False}])
        assert response.status_code == 422
        assert colleague.user_accesses.get().primary is True

    def test_a_second_owner_lets_the_first_step_down(self, client_for, owner, colleague):
        own = owner.user_accesses.get()
        response = self.put(
            client_for(owner),
            colleague,
            [{"id": colleague.user_accesses.get().id, "access_id": access("owner").id}],
        )
        assert response.status_code == 200
        response = self.put(client_for(owner), owner, [{"id": own.id, "access_id": access("admin").id}])
        assert response.status_code == 200
        own.refresh_from_db()
        assert own.access.name == "admin"

    def test_unknown_ids_are_422_and_invisible_companies_404(self, client_for, owner, colleague):
        client = client_for(owner)
        hidden = UserAccessFactory(user=colleague, access=access("agent"))
        response = self.put(client, colleague, [{"id": hidden.id, "access_id": access("admin").id}])
        assert response.status_code == 422
        assert "id" in response.json()["errors"]["user_accesses_attributes"][0]
        response = self.put(client, colleague, [{"company_id": CompanyFactory().id, "access_id": access("agent").id}])
        assert response.status_code == 404

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"user_accesses_attributes": []},
            {"user_accesses_attributes": [{"access_id": 1}]},
            {"user_accesses_attributes": "x"},
        ],
    )
    def test_malformed_bodies_are_422(self, client_for, owner, colleague, body):
        assert client_for(owner).put(url(colleague), body, format="json").status_code == 422
