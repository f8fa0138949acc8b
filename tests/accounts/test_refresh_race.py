"""A refresh token raced by concurrent requests is exchanged exactly once (row lock on the token)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_succeed_once():
    user = UserFactory()
    client = APIClient()
    refresh = client.post("/api/v1/users/login", {"email": user.email, "password": PASSWORD}, format="json").json()[
        "refresh_token"
    ]
    statuses = []
    barrier = threading.Barrier(6)

    def attempt():
        try:
            barrier.wait()
            response = APIClient().post("/api/v1/users/token/refresh", {"refresh_token": refresh}, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200] + [401] * 5
