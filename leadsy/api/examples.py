"""OpenAPI examples of the operations a web client calls first: sign-up, login, upload, import status, lead list.

They are attached here, by view path, rather than on each app's views: the examples are documentation of the
contract's main flow read together, and the views stay the thin translation the style asks for.
`tests/leadsy/test_schema.py` fails when a view named here moves and its examples silently drop out.
"""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

USER = {
    "id": 42,
    "first_name": "Ana",
    "last_name": "García",
    "email": "ana@example.com",
    "status": "active",
}
IMPORT_FILE = {
    "id": 7,
    "import_code": "imp_8YxV2kqLw3Q",
    "status": 1,
    "status_name": "processing",
    "total_records": 1200,
    "processed_records": 600,
    "failed_records": 3,
    "success_rate": 99.5,
    "started_at": "2026-01-15T10:00:02Z",
    "finished_at": None,
    "error_file": None,
    "original_file": "/api/v1/import/imp_8YxV2kqLw3Q/original_file",
    "imported_by": {"id": 42, "first_name": "Ana", "last_name": "García", "email": "ana@example.com"},
    "company": {"id": 3, "name": "Acme", "default": True, "parent_company_id": None},
    "error_message": None,
}
VALIDATION_FAILED = {"message": "Validation failed", "errors": {"email": ["Enter a valid email address."]}}


def _examples_for(view_path: str, **methods: list[OpenApiExample]):
    """An extension that adds `methods`' examples to the view at `view_path`, keeping its own schema."""

    class Examples(OpenApiViewExtension):
        target_class = view_path

        def view_replacement(self):
            decorated = {method: extend_schema(examples=examples) for method, examples in methods.items()}
            return extend_schema_view(**decorated)(type(self.target.__name__, (self.target,), {}))

    Examples.__name__ = f"Examples_{view_path.rsplit('.', 1)[-1]}"
    return Examples


SignUpExamples = _examples_for(
    "accounts.views.UsersView",
    post=[
        OpenApiExample(
            "Sign up with a password",
            value={"first_name": "Ana", "last_name": "García", "email": "ana@example.com", "password": "a long pass"},
            request_only=True,
        ),
        OpenApiExample("Created", value={"user": USER}, response_only=True, status_codes=["201"]),
        OpenApiExample("Invalid email", value=VALIDATION_FAILED, response_only=True, status_codes=["422"]),
    ],
)
LoginExamples = _examples_for(
    "accounts.views.LoginView",
    post=[
        OpenApiExample("Log in", value={"email": "ana@example.com", "password": "a long pass"}, request_only=True),
        OpenApiExample(
            "Logged in",
            value={
                "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.access",
                "refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.refresh",
                "expires_at": "2026-01-15T10:15:00Z",
                "user": USER,
            },
            response_only=True,
            status_codes=["200"],
        ),
        OpenApiExample(
            "Wrong email or password",
            value={"message": "No active account found with the given credentials"},
            response_only=True,
            status_codes=["401"],
        ),
    ],
)
ImportExamples = _examples_for(
    "imports.views.ImportListView",
    post=[
        OpenApiExample(
            "Upload a CSV into a company",
            value={"company_id": 3, "file": "leads.csv", "on_duplicate": "skip", "mapping": '{"Correo": "email"}'},
            request_only=True,
            media_type="multipart/form-data",
        ),
        OpenApiExample(
            "Accepted (processing follows in a worker)",
            value={"import_file": {**IMPORT_FILE, "status": 0, "status_name": "pending", "processed_records": 0}},
            response_only=True,
            status_codes=["202"],
        ),
        OpenApiExample(
            "File refused",
            value={"message": "Validation failed", "errors": {"file": ["The header has no email or phone column."]}},
            response_only=True,
            status_codes=["422"],
        ),
    ],
)
ImportStatusExamples = _examples_for(
    "imports.views.ImportDetailView",
    get=[
        OpenApiExample("Half way", value={"import_file": IMPORT_FILE}, response_only=True, status_codes=["200"]),
    ],
)
LeadListExamples = _examples_for(
    "campaigns.views.CompanyLeadsView",
    get=[
        OpenApiExample(
            "First page",
            value={
                "leads": [
                    {
                        "id": 1001,
                        "first_name": "Luis",
                        "last_name": "Pérez",
                        "email": "luis@example.com",
                        "phone": "+34612000002",
                        "company_id": 3,
                    }
                ],
                "meta": {"page": 1, "per_page": 25, "total_count": 1, "total_pages": 1},
            },
            response_only=True,
            status_codes=["200"],
        ),
    ],
)
