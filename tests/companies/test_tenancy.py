"""Tenancy you cannot forget: the company is resolved and checked before a handler runs, and company data
is read only with the Tenant that check returns."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver

from campaigns import selectors as campaign_selectors
from companies import selectors as company_selectors
from companies.access import PERMISSIONS, CompanyScopedView, Tenant, tenant_for
from tests.companies.test_isolation import ROUTES, _api_routes
from tests.factories import access


def test_a_handler_without_a_declared_permission_fails_when_the_class_is_defined():
    with pytest.raises(ImproperlyConfigured, match="declare its permission"):

        class Forgetful(CompanyScopedView):
            company_permissions = {"GET": "company.view"}

            def get(self, request, company_id): ...

            def delete(self, request, company_id): ...


def test_an_unknown_permission_fails_when_the_class_is_defined():
    with pytest.raises(ImproperlyConfigured, match="unknown permission"):

        class Typo(CompanyScopedView):
            company_permissions = {"GET": "company.veiw"}

            def get(self, request, company_id): ...


@pytest.mark.django_db
def test_a_tenant_is_made_only_by_the_check(owner):
    with pytest.raises(TypeError):
        Tenant(company=owner.company, level="owner", user=owner)
    tenant = tenant_for(user=owner, company_id=owner.company.id, permission="company.manage")
    assert tenant.company == owner.company and tenant.level == "owner"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "read",
    [
        lambda company: company_selectors.company_users(tenant=company),
        lambda company: campaign_selectors.campaign_list(tenant=company),
        lambda company: campaign_selectors.lead_list(tenant=company),
        lambda company: campaign_selectors.campaign_get(tenant=company.id, campaign_id=1),
        lambda company: campaign_selectors.lead_get(tenant=None, lead_id=1),
    ],
)
def test_tenant_selectors_refuse_anything_but_a_checked_tenant(owner, read):
    with pytest.raises(TypeError, match="Tenant"):
        read(owner.company)


def test_every_route_with_a_company_in_its_path_is_company_scoped():
    unscoped = [
        route
        for _name, view_class, route in _api_routes(get_resolver().url_patterns)
        if "<int:company_id>" in route and not (view_class and issubclass(view_class, CompanyScopedView))
    ]
    assert unscoped == []


@pytest.mark.parametrize("row", [row for row in ROUTES], ids=lambda row: f"{row.method} {row.name}")
def test_scoped_views_declare_the_matrix_permission(row):
    """The view's declared permission is the one the isolation matrix expects (one table, in step)."""
    view_class = next(view for name, view, _route in _api_routes(get_resolver().url_patterns) if name == row.name)
    if not issubclass(view_class, CompanyScopedView):
        pytest.skip(f"{view_class.__name__} checks its company itself (not converted yet)")
    declared = view_class.company_permissions[row.method]
    if declared is None:
        pytest.skip(f"{row.method} {row.name} acts in no single company (its service checks each)")
    assert declared == row.permission
    assert declared in PERMISSIONS


@pytest.mark.django_db
def test_a_visible_company_with_too_low_a_level_is_403_before_the_body_is_read(client_for, company_member):
    agent = company_member(level="agent")
    response = client_for(agent).post(
        "/api/v1/invitations", {"company_id": agent.company.id, "email": 12, "access_id": "x"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("company_id", [None, "", "abc", 2**70, -1, True, "1\x00"])
def test_odd_company_ids_in_a_body_are_422_or_404_never_500(client_for, owner, company_id):
    body = {"email": "x@example.com", "access_id": access("agent").id}
    if company_id is not None:
        body["company_id"] = company_id
    response = client_for(owner).post("/api/v1/invitations", body, format="json")
    assert response.status_code in (404, 422), response.content
