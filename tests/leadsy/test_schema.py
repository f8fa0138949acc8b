"""The published schema is one a client generator can use: one request content type per operation (JSON, or
multipart where a file is uploaded), required bodies, and examples on the main operations. `make client-check`
generates a client from it and runs a scenario; these tests catch a regression in the suite already."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FILE_UPLOADS = {("post", "/api/v1/import"), ("post", "/api/v1/import/preview")}
WITH_EXAMPLES = {
    ("post", "/api/v1/users"): ("request", "201"),
    ("post", "/api/v1/users/login"): ("request", "200"),
    ("post", "/api/v1/import"): ("request", "202"),
    ("get", "/api/v1/import/{import_code}"): ("200",),
    ("get", "/api/v1/companies/{company_id}/leads"): ("200",),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def test_every_body_has_one_content_type_and_is_required(schema):
    bodies = {(method, path): op["requestBody"] for method, path, op in operations(schema) if "requestBody" in op}
    assert len(bodies) > 15
    for key, body in bodies.items():
        expected = ["multipart/form-data"] if key in FILE_UPLOADS else ["application/json"]
        assert list(body["content"]) == expected, key
        assert body.get("required") is True, key


def test_the_api_refuses_form_bodies_where_it_declares_json(api_client):
    # The schema is not a promise on paper only: a form-encoded sign-up is a 422, like any unsupported body.
    response = api_client.post(
        "/api/v1/users/login", "email=a%40b.c&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 422
    assert response.json()["message"] == "Validation failed"


@pytest.mark.parametrize(("method", "path"), list(WITH_EXAMPLES))
def test_main_operations_carry_examples(schema, method, path):
    operation = schema["paths"][path][method]
    for where in WITH_EXAMPLES[method, path]:
        if where == "request":
            content = next(iter(operation["requestBody"]["content"].values()))
        else:
            content = operation["responses"][where]["content"]["application/json"]
        assert content.get("examples"), (method, path, where)
