"""The isolation matrix: every company-scoped route x method x role → the one expected status.

Expected statuses come from `companies.access.PERMISSIONS`: anonymous → 401, a user outside the
company → 404 (never 403: it must not learn that the company exists), a member whose level lacks the
route's permission → 403, a member whose level has it → the route's success status. Denied writes
must leave the database unchanged.

To add a route: append a `Row` to ROUTES (or, for a route that acts in no company, its name to
UNSCOPED with the reason). `setup(w)` makes the objects the request needs (e.g.
`CampaignFactory(company=w.company)`) into `w.obj`, before the database is fingerprinted;
`call(client, w)` makes the request for world `w` (see `World`). `overrides={"agent": 200}` states
a route's own rule where it differs from the permission table (e.g. a user editing itself).
`test_every_api_route_is_in_the_matrix` fails for any /api/v1/ route or method that is in neither.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from billing.services import membership_attach
from companies.access import PERMISSIONS
from companies.models import Company
from tests.companies.images import image_base64
from tests.conftest import token_for
from tests.factories import PASSWORD, CompanyFactory, UserAccessFactory, access, membership

LEVELS = ["owner", "admin", "manager", "agent"]
ROLES = ["anonymous", "outsider", *LEVELS]


@dataclass
class World:
    company: Company  # the company every request acts in (on the Business plan, cycles on)
    members: dict  # level → a user holding that level in `company` (primary there)
    outsider: object  # owns `other_company`, shares nothing with `company`
    other_company: Company
    subject: object  # a user every member sees, with no access in `company`; owner/admin administer it
    colleague: object  # a co-member elsewhere of owner, admin and manager, administered by none of them
    obj: object = None  # what the row's `setup` made (a campaign, a lead, ...)


@dataclass
class Row:
    name: str  # the URL pattern's name
    method: str
    permission: str  # a key of companies.access.PERMISSIONS
    ok: int  # status when the permission is granted
    call: Callable  # (client, world) -> response
    setup: Callable | None = None  # (world) -> object stored in `world.obj` before the request
    overrides: dict = field(default_factory=dict)  # role → status, where a route's rule is not the table's


def _avatar_put(c, w):
    body = {"company_id": w.company.id, "avatar_base64": image_base64(), "name": "a.png", "type": "image/png"}
    return c.put("/api/v1/companies/avatar", body, format="json")


def _cycle(c, w):
    body = {"name": "Q1", "starts_on": "2026-01-01", "ends_on": "2026-03-31"}
    return c.post(f"/api/v1/companies/{w.company.id}/cycles", body, format="json")


def _grant(w) -> dict:
    return {"company_id": w.company.id, "access_id": access("agent").id}


def _remove_agent(c, w):
    agent = w.members["agent"]
    return c.delete(f"/api/v1/users/{agent.id}/user_access/{agent.user_accesses.get(company=w.company).id}")


ROUTES: list[Row] = [
    Row("company-detail", "GET", "company.view", 200, lambda c, w: c.get(f"/api/v1/companies/{w.company.id}")),
    Row("company-users", "GET", "users.view", 200, lambda c, w: c.get(f"/api/v1/companies/{w.company.id}/users")),
    Row("company-avatar", "PUT", "company.manage", 200, _avatar_put),
    Row(
        "company-avatar",
        "DELETE",
        "company.manage",
        200,
        lambda c, w: c.delete(f"/api/v1/companies/avatar?company_id={w.company.id}"),
    ),
    Row(
        "company-cycles",
        "PUT",
        "company.manage",
        200,
        lambda c, w: c.put(f"/api/v1/companies/{w.company.id}/cycles", {"cycles_enabled": False}, format="json"),
    ),
    Row("company-cycles", "POST", "company.manage", 201, _cycle),
    Row(
        "company-membership",
        "POST",
        "memberships.manage",
        201,
        lambda c, w: c.post(
            f"/api/v1/companies/{w.company.id}/membership",
            {"membership_id": membership("Pro").id},
            format="json",
        ),
    ),
    Row(
        "company-membership-cancel",
        "POST",
        "memberships.manage",
        200,
        lambda c, w: c.post(f"/api/v1/companies/{w.company.id}/membership/cancel"),
    ),
    Row(
        "user-access-list",
        "GET",
        "users.view",
        200,
        lambda c, w: c.get(f"/api/v1/users/{w.members['agent'].id}/user_access?company_id={w.company.id}"),
    ),
    Row(
        "user-access-list",
        "POST",
        "users.manage",
        201,
        lambda c, w: c.post(f"/api/v1/users/{w.subject.id}/user_access", _grant(w), format="json"),
    ),
    Row(
        "user-access-list",
        "PUT",
        "users.manage",
        200,
        lambda c, w: c.put(
            f"/api/v1/users/{w.subject.id}/user_access", {"user_accesses_attributes": [_grant(w)]}, format="json"
        ),
    ),
    # Consent (19/22): a user nobody here administers cannot be put into the company: 404, nothing created.
    Row(
        "user-access-list",
        "POST",
        "users.manage",
        201,
        lambda c, w: c.post(f"/api/v1/users/{w.colleague.id}/user_access", _grant(w), format="json"),
        overrides={"owner": 404, "admin": 404},  # the agent's level in the company answers first: 403
    ),
    Row(
        "user-access-list",
        "PUT",
        "users.manage",
        200,
        lambda c, w: c.put(
            f"/api/v1/users/{w.colleague.id}/user_access", {"user_accesses_attributes": [_grant(w)]}, format="json"
        ),
        overrides={"owner": 404, "admin": 404, "agent": 404},  # the agent does not even see it
    ),
    Row("user-access-detail", "DELETE", "users.manage", 200, _remove_agent, overrides={"agent": 200}),  # leaving
    Row(
        "invitation-list",
        "POST",
        "invitations.manage",
        201,
        lambda c, w: c.post("/api/v1/invitations", {"email": "new@example.com", **_grant(w)}, format="json"),
    ),
]


# campaigns (issue 5)
def _campaign(w):
    from tests.factories import CampaignFactory

    return CampaignFactory(company=w.company)


def _option(w):
    from tests.factories import OptionFactory

    return OptionFactory(question__campaign=_campaign(w))


def _question(w):
    from tests.factories import QuestionFactory

    return QuestionFactory(campaign=_campaign(w))


def _lead(w):
    from tests.factories import LeadFactory

    return LeadFactory(company=w.company)


def _options_put(c, w):
    body = {
        "questions": [{"id": w.obj.question_id, "options_attributes": [{"label": "B", "value": "b", "position": 2}]}]
    }
    return c.put(f"/api/v1/campaigns/{w.obj.question.campaign_id}/questions/options", body, format="json")


ROUTES += [
    Row(
        "company-campaigns",
        "GET",
        "campaigns.view",
        200,
        lambda c, w: c.get(f"/api/v1/companies/{w.company.id}/campaigns"),
    ),
    Row(
        "company-campaigns",
        "POST",
        "campaigns.manage",
        201,
        lambda c, w: c.post(f"/api/v1/companies/{w.company.id}/campaigns", {"name": "Spring fair"}, format="json"),
    ),
    Row(
        "campaign-detail", "GET", "campaigns.view", 200, lambda c, w: c.get(f"/api/v1/campaigns/{w.obj.id}"), _campaign
    ),
    Row(
        "campaign-questions",
        "GET",
        "campaigns.view",
        200,
        lambda c, w: c.get(f"/api/v1/campaigns/{w.obj.id}/questions"),
        _campaign,
    ),
    Row(
        "campaign-questions",
        "POST",
        "campaigns.manage",
        201,
        lambda c, w: c.post(
            f"/api/v1/campaigns/{w.obj.id}/questions",
            {"text": "Budget?", "kind": "text", "required": True},
            format="json",
        ),
        _campaign,
    ),
    Row("campaign-question-options", "PUT", "campaigns.manage", 200, _options_put, _option),
    Row(
        "question-detail", "GET", "campaigns.view", 200, lambda c, w: c.get(f"/api/v1/questions/{w.obj.id}"), _question
    ),
    Row("company-leads", "GET", "leads.view", 200, lambda c, w: c.get(f"/api/v1/companies/{w.company.id}/leads")),
    Row("lead-detail", "GET", "leads.view", 200, lambda c, w: c.get(f"/api/v1/leads/{w.obj.id}"), _lead),
]


# working leads (issue 16, endpoints 59-62)
def _bulk(action: str, **body):
    def call(c, w):
        return c.post(
            f"/api/v1/companies/{w.company.id}/leads/bulk",
            {"action": action, "lead_ids": [w.obj.id], **body},
            format="json",
        )

    return call


def _lead_and_campaign(w):
    lead = _lead(w)
    lead.new_campaign = _campaign(w)  # made before the database is fingerprinted
    return lead


def _stage_id():
    from tests.factories import stage

    return stage("Contacted").id


ROUTES += [
    Row(
        "lead-detail",
        "PUT",
        "leads.work",
        200,
        lambda c, w: c.put(f"/api/v1/leads/{w.obj.id}", {"stage_id": _stage_id(), "notes": "Called"}, format="json"),
        _lead,
    ),
    Row(
        "lead-detail",
        "PUT",
        "leads.work",
        200,
        lambda c, w: c.put(f"/api/v1/leads/{w.obj.id}", {"first_name": "Renamed"}, format="json"),
        _lead,
        overrides={"agent": 403},  # every field but stage and notes needs leads.manage
    ),
    Row("lead-detail", "DELETE", "leads.manage", 200, lambda c, w: c.delete(f"/api/v1/leads/{w.obj.id}"), _lead),
    Row(
        "company-leads-bulk",
        "POST",
        "leads.work",
        200,
        lambda c, w: _bulk("move_stage", stage_id=_stage_id())(c, w),
        _lead,
    ),
    Row(
        "company-leads-bulk",
        "POST",
        "leads.work",
        200,
        lambda c, w: _bulk("assign_campaign", campaign_id=w.obj.new_campaign.id)(c, w),
        _lead_and_campaign,
        overrides={"agent": 403},  # only move_stage is leads.work
    ),
    Row("company-leads-bulk", "POST", "leads.work", 200, _bulk("delete"), _lead, overrides={"agent": 403}),
    Row(
        "company-leads-export",
        "GET",
        "leads.manage",
        200,
        lambda c, w: c.get(f"/api/v1/companies/{w.company.id}/leads/export?format=csv"),
        _lead,
    ),
    Row(
        "company-leads-export",
        "GET",
        "leads.manage",
        200,
        lambda c, w: c.get(f"/api/v1/companies/{w.company.id}/leads/export?format=xlsx"),
        _lead,
    ),
]


# accounts and legal (issue 3): users are seen through shared companies; a user changes itself,
# owner/admin change the users of their companies.
def _agent(w):
    return w.members["agent"]


def _new_user_in_company(c, w):
    body = {"first_name": "New", "last_name": "User", "email": "new-user@example.com"}
    return c.post("/api/v1/users", {**body, "user_accesses_attributes": [_grant(w)]}, format="json")


def _current_terms(w):
    from legal.selectors import legal_term_current

    return legal_term_current()


_SELF_ONLY = {"owner": 403, "admin": 403, "manager": 403, "agent": 200}

ROUTES += [
    Row("users", "GET", "users.view", 200, lambda c, w: c.get(f"/api/v1/users?company_id={w.company.id}")),
    # Public sign-up, but naming a company needs its owner/admin: anonymous → 403, nothing created.
    Row("users", "POST", "users.manage", 201, _new_user_in_company, overrides={"anonymous": 403}),
    Row("user-detail", "GET", "users.view", 200, lambda c, w: c.get(f"/api/v1/users/{_agent(w).id}")),
    Row(
        "user-detail",
        "PUT",
        "users.manage",
        200,
        lambda c, w: c.put(f"/api/v1/users/{_agent(w).id}", {"first_name": "Renamed"}, format="json"),
        overrides={"agent": 200},  # itself
    ),
    # Credentials are the user's own (note 10): nobody else sets them, the user itself needs its password.
    Row(
        "user-detail",
        "PUT",
        "users.manage",
        403,
        lambda c, w: c.put(
            f"/api/v1/users/{_agent(w).id}",
            {"password": "a-brand-new-passphrase", "current_password": PASSWORD},
            format="json",
        ),
        overrides={"agent": 200},
    ),
    Row(
        "user-detail",
        "PUT",
        "users.manage",
        403,
        lambda c, w: c.put(f"/api/v1/users/{_agent(w).id}", {"password": "a-brand-new-passphrase"}, format="json"),
        overrides={"agent": 422},  # itself, without current_password
    ),
    Row(
        "user-detail",
        "PUT",
        "users.manage",
        403,
        lambda c, w: c.put(
            f"/api/v1/users/{_agent(w).id}",
            {"email": "elsewhere@example.com", "current_password": PASSWORD},
            format="json",
        ),
        overrides={"agent": 200},  # itself: 200, and nothing changes until the emailed link is confirmed
    ),
    Row(
        "user-detail",
        "PUT",
        "users.manage",
        200,
        lambda c, w: c.put(f"/api/v1/users/{_agent(w).id}", {"status": "inactive"}, format="json"),
        overrides={"agent": 403},  # never on yourself
    ),
    Row(
        "user-find-by-email",
        "GET",
        "users.view",
        200,
        lambda c, w: c.get("/api/v1/users/find_by_email", {"email": _agent(w).email}),
    ),
    Row(
        "user-avatar",
        "PUT",
        "users.manage",
        200,
        lambda c, w: c.put(
            "/api/v1/users/avatar", {"user_id": _agent(w).id, "avatar_base64": image_base64()}, format="json"
        ),
        overrides={"agent": 200},
    ),
    Row(
        "user-avatar",
        "DELETE",
        "users.manage",
        200,
        lambda c, w: c.delete(f"/api/v1/users/avatar?user_id={_agent(w).id}"),
        overrides={"agent": 200},
    ),
    Row(
        "user-onboarding",
        "PUT",
        "users.manage",
        200,
        lambda c, w: c.put(f"/api/v1/users/{_agent(w).id}/onboarding"),
        overrides=_SELF_ONLY,
    ),
    Row(
        "user-terms",
        "PUT",
        "users.manage",
        200,
        lambda c, w: c.put(
            f"/api/v1/users/{_agent(w).id}/onboarding/terms_and_conditions",
            {"legal_term_id": w.obj.id},
            format="json",
        ),
        _current_terms,
        overrides=_SELF_ONLY,
    ),
]

# imports (issue 6)
IMPORT_CSV = b"Email,Phone\nana@example.com,612000001\n"


def _import(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports.services import import_file_create

    upload = SimpleUploadedFile("leads.csv", IMPORT_CSV)
    owner = w.members["owner"]
    return import_file_create(user=owner, company=w.company, file=upload, name="leads.csv", options={}, enqueue=False)


def _upload(c, w):
    import io

    body = io.BytesIO(IMPORT_CSV)
    body.name = "leads.csv"
    return c.post("/api/v1/import", {"company_id": w.company.id, "file": body}, format="multipart")


def _preview(c, w):
    import io

    body = io.BytesIO(IMPORT_CSV)
    body.name = "leads.csv"
    return c.post("/api/v1/import/preview", {"company_id": w.company.id, "file": body}, format="multipart")


def _import_with_errors(w):
    """An import processed in-process with one failing row, so it has an error file to download."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports.services import import_file_create, import_file_process

    upload = SimpleUploadedFile("leads.csv", IMPORT_CSV + b"not-an-email,612000002\n")
    owner = w.members["owner"]
    created = import_file_create(
        user=owner, company=w.company, file=upload, name="leads.csv", options={}, enqueue=False
    )
    processed = import_file_process(import_file_id=created.pk)
    assert processed.error_file, processed.error_message
    return processed


ROUTES += [
    Row("import-list", "GET", "imports.view", 200, lambda c, w: c.get(f"/api/v1/import?company_id={w.company.id}")),
    Row("import-list", "POST", "imports.manage", 202, _upload),
    Row("import-preview", "POST", "imports.manage", 200, _preview),
    Row(
        "import-detail", "GET", "imports.view", 200, lambda c, w: c.get(f"/api/v1/import/{w.obj.import_code}"), _import
    ),
    Row(
        "import-cancel",
        "POST",
        "imports.manage",
        200,
        lambda c, w: c.post(f"/api/v1/import/{w.obj.import_code}/cancel"),
        _import,
    ),
    Row(
        "import-original-file",
        "GET",
        "imports.view",
        200,
        lambda c, w: c.get(f"/api/v1/import/{w.obj.import_code}/original_file"),
        _import,
    ),
    Row(
        "import-error-file",
        "GET",
        "imports.view",
        200,
        lambda c, w: c.get(f"/api/v1/import/{w.obj.import_code}/error_file"),
        _import_with_errors,
    ),
]


# webhooks (issue 16): the allow-private setting lets the rows use a loopback URL (nothing is delivered here)
def _webhook(w):
    from imports.models import Webhook

    return Webhook.objects.create(company=w.company, url="https://hooks.example.com/leadsy", events=["import.failed"])


def _webhook_create(c, w):
    body = {"url": "https://127.0.0.1/hook", "events": ["import.completed"]}
    return c.post(f"/api/v1/companies/{w.company.id}/webhooks", body, format="json")


@pytest.fixture(autouse=True)
def _webhooks_to_loopback(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True


ROUTES += [
    Row(
        "webhook-list", "GET", "webhooks.manage", 200, lambda c, w: c.get(f"/api/v1/companies/{w.company.id}/webhooks")
    ),
    Row("webhook-list", "POST", "webhooks.manage", 201, _webhook_create),
    Row(
        "webhook-detail",
        "DELETE",
        "webhooks.manage",
        200,
        lambda c, w: c.delete(f"/api/v1/webhooks/{w.obj.id}"),
        _webhook,
    ),
    Row(
        "webhook-delivery-list",
        "GET",
        "webhooks.manage",
        200,
        lambda c, w: c.get(f"/api/v1/webhooks/{w.obj.id}/deliveries"),
        _webhook,
    ),
    Row(
        "webhook-test",
        "POST",
        "webhooks.manage",
        202,
        lambda c, w: c.post(f"/api/v1/webhooks/{w.obj.id}/test"),
        _webhook,
    ),
]

# Routes that act in no company, each with the reason.
UNSCOPED = {
    "health": "public liveness probe",
    "stage-list": "reference data (lead pipeline stages)",
    "company-list": "lists the caller's own companies; creating one needs no company",
    "access-list": "reference data (access levels)",
    "access-detail": "reference data (access levels)",
    "membership-list": "reference data (plans)",
    "membership-detail": "reference data (plans)",
    "invitation-pending": "filtered to the caller's email and the companies it administers",
    "invitation-detail": "public, by unguessable code",
    "invitation-accept": "public, by unguessable code",
    "user-login": "public: credentials",
    "user-token-refresh": "public: the refresh token",
    "user-validate-jwt": "the caller's own token",
    "user-reset-password": "public: by email",
    "user-reset-password-confirm": "public: by emailed uid and token",
    "user-verify-email": "public: by emailed uid and token",
    "user-verify-email-resend": "the caller's own email",
    "user-email-change-confirm": "public: by the uid and token emailed to the new address",
    "legal-term-current": "public reference data (terms)",
    "legal-term-detail": "public reference data (terms)",
    "import-template": "the accepted header row (reference data)",
}


def expected_status(row: Row, role: str) -> int:
    if role in row.overrides:
        return row.overrides[role]
    if role == "anonymous":
        return 401
    if role == "outsider":
        return 404
    return row.ok if role in PERMISSIONS[row.permission] else 403


@pytest.fixture
def world(db) -> World:
    company = CompanyFactory()
    membership_attach(company=company, membership=membership("Business"))
    company.cycles_enabled = True
    company.save()
    members = {level: UserAccessFactory(company=company, access=access(level), primary=True).user for level in LEVELS}
    # `subject` shares a second company with every member, so they can see it; owner and admin are
    # admins there, so they administer it (and may give it an access in `company`).
    shared = CompanyFactory()
    subject = UserAccessFactory(company=shared, access=access("owner"), primary=True).user
    for level, member in members.items():
        UserAccessFactory(
            user=member, company=shared, access=access("admin" if level in ("owner", "admin") else "agent")
        )
    # `colleague` shares a third company with owner, admin and manager, all agents there: they see it,
    # none administers it. (The agent member is left out, so that its own companies stay administered.)
    club = CompanyFactory()
    colleague = UserAccessFactory(company=club, access=access("owner"), primary=True).user
    for level in ("owner", "admin", "manager"):
        UserAccessFactory(user=members[level], company=club, access=access("agent"))
    other = UserAccessFactory(access=access("owner"), primary=True)
    return World(
        company=company,
        members=members,
        outsider=other.user,
        other_company=other.company,
        subject=subject,
        colleague=colleague,
    )


def _client(role: str, w: World):
    from rest_framework.test import APIClient

    client = APIClient()
    user = None if role == "anonymous" else w.outsider if role == "outsider" else w.members[role]
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


PROJECT_APPS = {"accounts", "companies", "billing", "legal", "campaigns", "imports"}


def database_fingerprint() -> str:
    """A hash of every row of every project model: a denied write must leave it unchanged."""
    from django.apps import apps

    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for row in model.objects.order_by("pk").values():
                digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROUTES, ids=lambda row: f"{row.method} {row.name}")
def test_isolation_matrix(world, row, role):
    world.obj = row.setup(world) if row.setup else None
    before = database_fingerprint()
    response = row.call(_client(role, world), world)
    expected = expected_status(row, role)
    assert response.status_code == expected, response.content
    if expected in (401, 403, 404) and row.method != "GET":
        assert database_fingerprint() == before, "a denied write changed the database"
    if role == "outsider":
        assert response.json() == {"message": "Not found."}


def _api_routes(patterns=None, prefix: str = ""):
    """Every (name, view class, full route) under the URLconf, walked recursively."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield pattern.name, getattr(pattern.callback, "view_class", None), route


def test_every_api_route_is_in_the_matrix():
    scoped = {(row.name, row.method) for row in ROUTES}
    scoped_names = {name for name, _ in scoped}
    missing = []
    for name, view_class, route in _api_routes():
        if not route.startswith("api/v1/"):
            continue
        if name in UNSCOPED:
            continue
        if name not in scoped_names:
            missing.append(f"{route} (name={name!r})")
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            if view_class is not None and hasattr(view_class, method) and (name, method.upper()) not in scoped:
                missing.append(f"{method.upper()} {route} (name={name!r})")
    assert not missing, "Routes missing from ROUTES / UNSCOPED in tests/companies/test_isolation.py:\n" + "\n".join(
        missing
    )


def test_matrix_has_no_stale_rows():
    names = {name for name, _, route in _api_routes() if route.startswith("api/v1/")}
    assert {row.name for row in ROUTES} <= names
    assert set(UNSCOPED) <= names


@pytest.mark.django_db
def test_missing_and_invisible_companies_answer_identically(world, client_for):
    client = client_for(world.outsider)
    for template in ("/api/v1/companies/{}", "/api/v1/companies/{}/users", "/api/v1/companies/{}/membership/cancel"):
        method = client.post if template.endswith("cancel") else client.get
        invisible, missing = method(template.format(world.company.id)), method(template.format(999_999_999))
        assert (
            (invisible.status_code, invisible.content)
            == (missing.status_code, missing.content)
            == (
                404,
                b'{"message":"Not found."}',
            )
        )


@pytest.mark.django_db
def test_outsider_sees_no_invitations_or_users_of_the_company(world, client_for):
    client_for(world.members["owner"]).post(
        "/api/v1/invitations", {"email": "new@example.com", **_grant(world)}, format="json"
    )
    outsider = client_for(world.outsider)
    assert outsider.get("/api/v1/invitations/pending?email=new@example.com").json()["invitations"] == []
    assert outsider.get(f"/api/v1/users/{world.members['agent'].id}/user_access").status_code == 404
    assert [c["id"] for c in outsider.get("/api/v1/companies").json()["companies"]] == [world.other_company.id]
