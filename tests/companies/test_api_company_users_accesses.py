import pytest

from tests.factories import UserAccessFactory, UserFactory, access

pytestmark = pytest.mark.django_db


def test_company_users_with_their_access(client_for, owner, company_member):
    agent = company_member(owner.company, "agent")
    UserAccessFactory(user=agent, access=access("owner"))  # elsewhere: not shown as its access here
    UserFactory()  # not in the company
    body = client_for(agent).get(f"/api/v1/companies/{owner.company.id}/users").json()
    rows = {u["id"]: u["user_access"]["access_name"] for u in body["users"]}
    assert rows == {owner.id: "owner", agent.id: "agent"}
    assert body["meta"]["total_count"] == 2
    assert body["users"][0]["primary_company"]["id"] == owner.company.id


def test_company_users_search(client_for, owner, company_member):
    ana = company_member(owner.company, "agent")
    ana.first_name, ana.email = "Anabel", "anabel@example.com"
    ana.save()
    client = client_for(owner)
    assert [u["id"] for u in client.get(f"/api/v1/companies/{owner.company.id}/users?q=anab").json()["users"]] == [
        ana.id
    ]
    assert client.get(f"/api/v1/companies/{owner.company.id}/users?q=" + "z" * 10_000).json()["users"] == []


def test_company_users_of_another_company_is_404(client_for, owner):
    other = UserAccessFactory().company
    assert client_for(owner).get(f"/api/v1/companies/{other.id}/users").status_code == 404


def test_accesses_are_seeded_and_readable(client_for, user):
    client = client_for(user)
    body = client.get("/api/v1/accesses").json()
    assert [a["name"] for a in body["accesses"]] == ["owner", "admin", "manager", "agent"]
    first = body["accesses"][0]
    assert client.get(f"/api/v1/accesses/{first['id']}").json() == {"access": first}
    assert client.get("/api/v1/accesses/999999").status_code == 404
