import pytest

pytestmark = pytest.mark.django_db


def test_stages_are_listed_in_pipeline_order(client_for, user):
    response = client_for(user).get("/api/v1/stages")
    assert response.status_code == 200
    body = response.json()
    assert [stage["name"] for stage in body["stages"]] == ["New", "Contacted", "Qualified", "Won", "Lost"]
    assert [stage["position"] for stage in body["stages"]] == [1, 2, 3, 4, 5]
    assert set(body["stages"][0]) == {"id", "name", "position"}
    assert body["meta"] == {"page": 1, "per_page": 25, "total_count": 5, "total_pages": 1}


def test_stages_need_a_token(api_client):
    assert api_client.get("/api/v1/stages").status_code == 401


@pytest.mark.parametrize("per_page", [1, 100])
def test_stages_list_costs_constant_queries(client_for, user, django_assert_max_num_queries, per_page):
    client = client_for(user)
    with django_assert_max_num_queries(3):
        assert client.get(f"/api/v1/stages?per_page={per_page}").status_code == 200
