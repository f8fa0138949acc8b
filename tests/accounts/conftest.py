import pytest

from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def login(api_client):
    """`login(email, password)` → the response of POST /users/login."""

    def post(email, password=PASSWORD, **extra):
        return api_client.post("/api/v1/users/login", {"email": email, "password": password}, format="json", **extra)

    return post


@pytest.fixture
def outsider(db):
    """A user in a company of its own, sharing nothing with the `owner` fixture."""
    from tests.factories import UserAccessFactory, access

    return UserAccessFactory(access=access("owner"), primary=True).user


@pytest.fixture
def lone_user(db):
    return UserFactory()
