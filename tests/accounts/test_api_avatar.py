"""PUT/DELETE /users/avatar (endpoints 1, 2)."""

import urllib.request

import pytest
from django.core.files.storage import default_storage

from tests.accounts.images import b64, image_bytes, png_bomb

pytestmark = pytest.mark.django_db


def avatar_body(data=None, **extra):
    return {"avatar_base64": data or b64(image_bytes()), "name": "me.png", "type": "image/png", **extra}


def test_set_own_avatar(client_for, user):
    response = client_for(user).put("/api/v1/users/avatar", avatar_body(), format="json")
    assert response.status_code == 200
    route = response.json()["user"]["avatar_route"]
    assert route.startswith("http://testserver/media/avatars/users/") and route.endswith(".png")
    user.refresh_from_db()
    assert default_storage.exists(user.avatar.name)


def test_replacing_deletes_the_old_file(client_for, user, django_capture_on_commit_callbacks):
    client = client_for(user)
    client.put("/api/v1/users/avatar", avatar_body(), format="json")
    user.refresh_from_db()
    old = user.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        client.put("/api/v1/users/avatar", avatar_body(b64(image_bytes("JPEG"))), format="json")
    user.refresh_from_db()
    assert user.avatar.name.endswith(".jpg")
    assert not default_storage.exists(old)


@pytest.mark.parametrize(
    "data",
    [
        "garbage!!",
        b64(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        b64(png_bomb(12000)),
        b64(b"\x89PNG" + b"\x00" * (5 * 1024 * 1024)),
    ],
    ids=["garbage", "svg", "bomb", "oversize"],
)
def test_refused_image_is_422_and_the_old_avatar_stays(client_for, user, data):
    client = client_for(user)
    client.put("/api/v1/users/avatar", avatar_body(), format="json")
    user.refresh_from_db()
    old = user.avatar.name
    response = client.put("/api/v1/users/avatar", avatar_body(data), format="json")
    assert response.status_code == 422
    assert "avatar_base64" in response.json()["errors"]
    user.refresh_from_db()
    assert user.avatar.name == old
    assert default_storage.exists(old)


def test_unknown_type_is_422(client_for, user):
    response = client_for(user).put("/api/v1/users/avatar", avatar_body(type="image/svg+xml"), format="json")
    assert response.status_code == 422
    assert "type" in response.json()["errors"]


def test_lying_type_is_ignored_the_bytes_decide(client_for, user):
    body = avatar_body(b64(image_bytes("JPEG")), type="image/png")
    response = client_for(user).put("/api/v1/users/avatar", body, format="json")
    assert response.json()["user"]["avatar_route"].endswith(".jpg")


def test_admin_sets_a_member_avatar(client_for, company_member):
    admin = company_member(level="admin")
    agent = company_member(admin.company, "agent")
    response = client_for(admin).put("/api/v1/users/avatar", avatar_body(user_id=agent.id), format="json")
    assert response.status_code == 200
    assert response.json()["user"]["id"] == agent.id


def test_agent_cannot_set_a_colleague_avatar_403(client_for, company_member):
    agent = company_member(level="agent")
    colleague = company_member(agent.company, "agent")
    response = client_for(agent).put("/api/v1/users/avatar", avatar_body(user_id=colleague.id), format="json")
    assert response.status_code == 403
    colleague.refresh_from_db()
    assert not colleague.avatar


def test_outsider_avatar_is_404(client_for, owner, outsider):
    response = client_for(owner).put("/api/v1/users/avatar", avatar_body(user_id=outsider.id), format="json")
    assert response.status_code == 404


def test_avatar_needs_a_token(api_client):
    assert api_client.put("/api/v1/users/avatar", avatar_body(), format="json").status_code == 401


def test_delete_avatar_by_query_and_by_body(client_for, user, django_capture_on_commit_callbacks):
    client = client_for(user)
    client.put("/api/v1/users/avatar", avatar_body(), format="json")
    user.refresh_from_db()
    old = user.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/users/avatar?user_id={user.id}")
    assert response.status_code == 200
    assert response.json()["user"]["avatar_route"] is None
    assert not default_storage.exists(old)
    assert client.delete("/api/v1/users/avatar", {"user_id": user.id}, format="json").status_code == 200


def test_delete_avatar_bad_user_id_is_422(client_for, user):
    assert client_for(user).delete("/api/v1/users/avatar?user_id=abc").status_code == 422


def test_avatar_on_s3_is_stored_privately_and_served_by_a_signed_url(client_for, user, s3_storage):
    response = client_for(user).put("/api/v1/users/avatar", avatar_body(b64(image_bytes("WEBP"))), format="json")
    assert response.status_code == 200
    route = response.json()["user"]["avatar_route"]
    keys = [item["Key"] for item in s3_storage.list_objects_v2(Bucket=s3_storage.bucket)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("media/avatars/users/") and keys[0].endswith(".webp")
    assert "X-Amz-Signature" in route
    with urllib.request.urlopen(route, timeout=5) as answer:
        assert answer.status == 200
        assert answer.read()[8:12] == b"WEBP"
