import base64

import pytest

from billing.models import Subscription
from companies.models import Company, UserAccess
from tests.companies.images import image_base64
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def create(client, **body):
    return client.post("/api/v1/companies", body, format="json")


def test_create_makes_the_creator_owner_on_the_free_plan(client_for, user):
    response = create(client_for(user), name="Acme", country="es")
    assert response.status_code == 201
    company = response.json()["company"]
    assert company["name"] == "Acme"
    assert company["country"] == "ES"
    assert company["default"] is True
    assert company["parent_company_id"] is None
    assert company["cycles_enabled"] is False
    assert company["avatar_route"] is None
    assert company["membership"]["name"] == "Free"
    access = UserAccess.objects.get(user=user, company_id=company["id"])
    assert access.access.name == "owner"
    assert access.primary is True
    assert Subscription.objects.get(company_id=company["id"]).status == "active"


def test_second_company_is_not_primary(client_for, owner):
    company_id = create(client_for(owner), name="Second").json()["company"]["id"]
    assert UserAccess.objects.get(user=owner, company_id=company_id).primary is False
    assert UserAccess.objects.filter(user=owner, primary=True).count() == 1


def test_user_object_shows_primary_company_after_creating_one(client_for, user):
    from accounts.serializers import UserSerializer

    company_id = create(client_for(user), name="Acme").json()["company"]["id"]
    data = UserSerializer(user).data
    assert data["primary_company"]["id"] == company_id
    assert data["primary_access"]["access_name"] == "owner"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Acme", "country": "XX"}, "country"),
        ({"name": "Acme", "country": "ESP"}, "country"),
        ({"name": "Acme", "parent_company_id": "abc"}, "parent_company_id"),
    ],
)
def test_create_validates_each_field(client_for, user, body, field):
    response = create(client_for(user), **body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Company.objects.exists()


def test_child_company_under_an_administered_parent(client_for, owner):
    response = create(client_for(owner), name="Branch", parent_company_id=owner.company.id)
    assert response.status_code == 201
    child = response.json()["company"]
    assert child["parent_company_id"] == owner.company.id
    assert child["default"] is False


@pytest.mark.parametrize("level", ["manager", "agent", None])
def test_parent_must_be_administered_by_the_caller(client_for, company_member, level):
    parent = CompanyFactory()
    caller = company_member(parent, level) if level else UserFactory()
    response = create(client_for(caller), name="Branch", parent_company_id=parent.id)
    assert response.status_code == 422
    assert "parent_company_id" in response.json()["errors"]
    assert not Company.objects.filter(name="Branch").exists()


def test_parent_cycle_is_refused():
    from django.core.exceptions import ValidationError

    from companies.services import company_parent_validate

    root = CompanyFactory()
    child = CompanyFactory(parent_company=root)
    grandchild = CompanyFactory(parent_company=child)
    with pytest.raises(ValidationError):
        company_parent_validate(company=root, parent_company=grandchild)
    with pytest.raises(ValidationError):
        company_parent_validate(company=root, parent_company=root)
    company_parent_validate(company=grandchild, parent_company=root)


def test_list_shows_only_the_callers_companies(client_for, owner):
    CompanyFactory.create_batch(2)
    body = client_for(owner).get("/api/v1/companies").json()
    assert [c["id"] for c in body["companies"]] == [owner.company.id]
    assert body["meta"] == {"page": 1, "per_page": 25, "total_count": 1, "total_pages": 1}


def test_show_a_visible_company(client_for, owner):
    response = client_for(owner).get(f"/api/v1/companies/{owner.company.id}")
    assert response.status_code == 200
    assert response.json()["company"]["id"] == owner.company.id


def test_show_invisible_and_missing_companies_alike(client_for, owner):
    other = CompanyFactory()
    client = client_for(owner)
    invisible = client.get(f"/api/v1/companies/{other.id}")
    missing = client.get("/api/v1/companies/999999")
    assert invisible.status_code == missing.status_code == 404
    assert invisible.content == missing.content
    assert client.get(f"/api/v1/companies/{2**70}").status_code == 404


def test_companies_need_a_jwt(api_client):
    assert api_client.get("/api/v1/companies").status_code == 401
    assert create(api_client, name="Acme").status_code == 401


class TestAvatar:
    def put(self, client, company, data, **extra):
        body = {"company_id": company.id, "avatar_base64": data, "name": "logo.png", "type": "image/png", **extra}
        return client.put("/api/v1/companies/avatar", body, format="json")

    @pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
    def test_owner_uploads_an_avatar(self, client_for, owner, fmt):
        response = self.put(client_for(owner), owner.company, image_base64(fmt))
        assert response.status_code == 200
        route = response.json()["company"]["avatar_route"]
        assert route.startswith("http://testserver/media/avatars/companies/")
        owner.company.refresh_from_db()
        assert owner.company.avatar

    def test_admin_may_manager_may_not(self, client_for, owner, company_member):
        assert (
            self.put(client_for(company_member(owner.company, "admin")), owner.company, image_base64()).status_code
            == 200
        )
        assert (
            self.put(client_for(company_member(owner.company, "manager")), owner.company, image_base64()).status_code
            == 403
        )

    def test_outsider_gets_404(self, client_for, owner):
        assert self.put(client_for(UserFactory()), owner.company, image_base64()).status_code == 404

    @pytest.mark.parametrize(
        "data",
        [
            "not base64!!",
            base64.b64encode(b"name,email\nAna,a@example.com\n").decode(),
            base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode(),
            image_base64("PNG")[:40],
        ],
    )
    def test_non_images_are_422(self, client_for, owner, data):
        response = self.put(client_for(owner), owner.company, data)
        assert response.status_code == 422
        assert "avatar_base64" in response.json()["errors"]

    def test_decompression_bomb_is_422(self, client_for, owner):
        import io

        from PIL import Image

        output = io.BytesIO()
        Image.new("1", (12000, 12000)).save(output, format="PNG")  # a tiny file of 144 Mpx
        response = self.put(client_for(owner), owner.company, base64.b64encode(output.getvalue()).decode())
        assert response.status_code == 422

    def test_delete_the_avatar_by_query_or_body(self, client_for, owner):
        client = client_for(owner)
        self.put(client, owner.company, image_base64())
        response = client.delete(f"/api/v1/companies/avatar?company_id={owner.company.id}")
        assert response.status_code == 200
        assert response.json()["company"]["avatar_route"] is None
        self.put(client, owner.company, image_base64())
        response = client.delete("/api/v1/companies/avatar", {"company_id": owner.company.id}, format="json")
        assert response.json()["company"]["avatar_route"] is None

    def test_delete_without_company_id_is_422(self, client_for, owner):
        assert client_for(owner).delete("/api/v1/companies/avatar").status_code == 422


def test_company_list_costs_constant_queries(client_for, owner, django_assert_max_num_queries):
    client = client_for(owner)
    for n in range(5):
        client.post("/api/v1/companies", {"name": f"C{n}"}, format="json")
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/companies").json()
    assert len(body["companies"]) == 6
    assert {c["membership"]["name"] for c in body["companies"]} == {"Free"}
