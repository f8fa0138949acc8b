"""Tenancy, in one place: which companies a user may see, and what its access level lets it do.

Every company-scoped view and selector in every app goes through here. A company the user holds
no access in does not exist for it (404); a visible company where its level is too low is 403.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import OuterRef, Q, QuerySet, Subquery
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.views import APIView

from leadsy.ids import MAX_ID, as_id  # noqa: F401 - importable from here for accounts/companies

from .models import Access, Company, UserAccess

_ALL = frozenset({Access.OWNER, Access.ADMIN, Access.MANAGER, Access.AGENT})
_ADMINS = frozenset({Access.OWNER, Access.ADMIN})
_RUNNERS = frozenset({Access.OWNER, Access.ADMIN, Access.MANAGER})

# What each access level may do. The README's table is written from this one.
PERMISSIONS: dict[str, frozenset[str]] = {
    "company.view": _ALL,
    "company.manage": _ADMINS,  # settings, avatar, cycles, child companies
    "users.view": _ALL,
    "users.manage": _ADMINS,  # user accesses, creating users in the company
    "invitations.manage": _ADMINS,
    "memberships.manage": _ADMINS,
    "campaigns.view": _ALL,
    "campaigns.manage": _RUNNERS,
    "leads.view": _ALL,
    "leads.work": _ALL,  # move a lead through the stages, write its notes (one by one or in bulk)
    "leads.manage": _RUNNERS,  # edit every field, delete, bulk campaign and delete, export
    "imports.view": _ALL,
    "imports.manage": _RUNNERS,  # upload, cancel
    "webhooks.manage": _ADMINS,  # webhooks (they take the company's import events out) and their deliveries
}


def companies_visible_to(user) -> QuerySet[Company]:
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(user_accesses__user=user)


def annotate_access_level(queryset: QuerySet, *, user, company_field: str = "company_id") -> QuerySet:
    """Add `access_level`: the user's level in each row's company (None when it holds none), in the same query.

    For hot reads of one object (import status polling): fetch and authorize in one round trip, then
    `require(..., level=obj.access_level)`.
    """
    level = UserAccess.objects.filter(user=user, company_id=OuterRef(company_field)).values("access__name")[:1]
    return queryset.annotate(access_level=Subquery(level))


def access_name(*, user, company_id: int) -> str | None:
    """The user's access level in the company, or None when it holds none."""
    if not user.is_authenticated:
        return None
    return UserAccess.objects.filter(user=user, company_id=company_id).values_list("access__name", flat=True).first()


def can(*, user, company_id: int, permission: str) -> bool:
    return access_name(user=user, company_id=company_id) in PERMISSIONS[permission]


class Tenant:
    """The company a request acts in, and the caller's level there: the proof that the check ran.

    Only `tenant_for()` makes one (the constructor refuses anyone else), and tenant selectors take a
    Tenant, never a bare company or id: a view that skipped the check has nothing to hand them.
    """

    __slots__ = ("company", "level", "user")

    def __init__(self, *, company: Company, level: str, user, _proof=None):
        if _proof is not _PROOF:
            raise TypeError("A Tenant comes from companies.access.tenant_for(), which checks the permission.")
        self.company, self.level, self.user = company, level, user

    def require(self, permission: str) -> None:
        """403 unless the caller's level here also grants `permission` (a second, stricter action)."""
        require(user=self.user, company_id=self.company.id, permission=permission, level=self.level)

    def __repr__(self) -> str:
        return f"<Tenant company={self.company.pk} level={self.level}>"


_PROOF = object()


def tenant_for(*, user, company_id, permission: str) -> Tenant:
    """Fetch and authorize in one call: 404 when the company is invisible or missing, 403 when the level is too low."""
    if permission not in PERMISSIONS:
        raise ImproperlyConfigured(f"Unknown permission {permission!r}: add it to companies.access.PERMISSIONS.")
    company_id = as_id(company_id)
    if company_id is None or not user.is_authenticated:
        raise NotFound()
    access = UserAccess.objects.select_related("company", "access").filter(user=user, company_id=company_id).first()
    if access is None:
        raise NotFound()
    require(user=user, company_id=company_id, permission=permission, level=access.access.name)
    return Tenant(company=access.company, level=access.access.name, user=user, _proof=_PROOF)


def tenant_for_object(*, user, queryset: QuerySet, permission: str, company_field: str = "company_id"):
    """Fetch and authorize one object in ONE query (a polled route): the object, with its company and the
    caller's level there annotated, and the Tenant. 404 when missing or of an invisible company, 403 when
    the level is too low."""
    if not user.is_authenticated:
        raise NotFound()
    obj = next(
        iter(annotate_access_level(queryset.select_related("company"), user=user, company_field=company_field)[:1]),
        None,
    )
    if obj is None or obj.access_level is None:
        raise NotFound()
    require(user=user, company_id=getattr(obj, company_field), permission=permission, level=obj.access_level)
    return obj, Tenant(company=obj.company, level=obj.access_level, user=user, _proof=_PROOF)


def require_tenant(tenant) -> Tenant:
    """For tenant selectors: refuse anything that is not a checked Tenant (a company, an id, None)."""
    if not isinstance(tenant, Tenant):
        raise TypeError(f"Expected a Tenant from companies.access.tenant_for(), got {type(tenant).__name__}.")
    return tenant


def company_get_for_user(*, user, company_id, permission: str = "company.view") -> Company:
    """Fetch and authorize in one call: the company, 404 when invisible, 403 when the level is too low."""
    return tenant_for(user=user, company_id=company_id, permission=permission).company


def require(*, user, company_id: int, permission: str, level: str | None = None) -> None:
    """403 unless the user's level in this (visible) company grants the permission."""
    level = level if level is not None else access_name(user=user, company_id=company_id)
    if level not in PERMISSIONS[permission]:
        raise PermissionDenied("Your access level in this company does not allow this action.")


def users_visible_to(viewer):
    """Users the viewer may see: itself and everyone sharing at least one company with it."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if not viewer.is_authenticated:
        return User.objects.none()
    shared = UserAccess.objects.filter(company__user_accesses__user=viewer).values("user_id")
    return User.objects.filter(Q(pk=viewer.pk) | Q(pk__in=shared))


def users_administered_by(viewer):
    """Users holding an access in a company where the viewer manages users (owner/admin).

    Consent to join (19/22): only these may be given a new access by the viewer, moving a colleague
    around its own organization; anyone else joins by invitation or is created new.
    """
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if not viewer.is_authenticated:
        return User.objects.none()
    administered = UserAccess.objects.filter(user=viewer, access__name__in=PERMISSIONS["users.manage"]).values(
        "company_id"
    )
    return User.objects.filter(pk__in=UserAccess.objects.filter(company_id__in=administered).values("user_id"))


def user_get_visible(*, viewer, user_id):
    """A user the viewer may see, else 404 (an invisible user and a missing one look the same)."""
    user_id = as_id(user_id)
    user = users_visible_to(viewer).filter(pk=user_id).first() if user_id is not None else None
    if user is None:
        raise NotFound()
    return user


# --- Views that act in one company ------------------------------------------------------------------

HANDLERS = ("get", "post", "put", "patch", "delete")


def company_of(model, kwarg: str, field: str = "company_id") -> Callable:
    """A company source for routes of one object (`/campaigns/{campaign_id}`): the company owning it.

    A missing object and one of an invisible company both end in 404.
    """

    def source(request, kwargs):
        pk = as_id(kwargs.get(kwarg))
        return model.objects.filter(pk=pk).values_list(field, flat=True).first() if pk else None

    return source


def object_of(lookup: Callable[[dict], QuerySet]) -> Callable:
    """A company source for hot routes of one object (an import's status, polled): `lookup(kwargs)` is a
    queryset of at most one object; the object, its company and the caller's level come in one query
    (`tenant_for_object`), and the handler reads `self.object` beside `self.tenant`."""

    def source(request, kwargs):
        return lookup(kwargs)

    source.fetches_object = True  # type: ignore[attr-defined]
    return source


def _from_body(request, kwargs):
    data = request.data
    if not hasattr(data, "get") or data.get("company_id") in (None, ""):
        raise ValidationError({"company_id": ["This field is required."]})
    return data.get("company_id")


def _from_body_or_query(request, kwargs):
    data = request.data if hasattr(request.data, "get") else {}
    value = data.get("company_id")
    value = value if value not in (None, "") else request.query_params.get("company_id")
    if value in (None, ""):
        raise ValidationError({"company_id": ["This field is required."]})
    return value


COMPANY_SOURCES: dict[str, Callable] = {
    "path": lambda request, kwargs: kwargs.get("company_id"),
    "body": _from_body,
    "body_or_query": _from_body_or_query,
}


class CompanyScopedView(APIView):
    """A view acting in one company: the company is resolved and the permission checked before the handler.

    Declare, per HTTP method, the permission it needs (a key of PERMISSIONS), and where the company
    is: `company_source = "path"` (`{company_id}` in the URL), `"body"`, `"body_or_query"`, or
    `company_of(Model, "kwarg")` for a route of one object (`object_of(lookup)` when that route is hot:
    the object comes in the same query, as `self.object`). The handler then reads `self.tenant`.
    A handler without a declared permission fails when the class is defined, so a new method
    cannot forget the check; `None` states that a method acts in no single company (say why).
    """

    company_permissions: dict[str, str | None] = {}
    company_source: str | Callable = "path"
    tenant: Tenant
    object: Any  # set by an `object_of` source

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for handler in HANDLERS:
            if hasattr(cls, handler) and handler.upper() not in cls.company_permissions:
                raise ImproperlyConfigured(f"{cls.__name__}.{handler}: declare its permission in company_permissions.")
        for permission in cls.company_permissions.values():
            if permission is not None and permission not in PERMISSIONS:
                raise ImproperlyConfigured(f"{cls.__name__}: unknown permission {permission!r}.")
        if isinstance(cls.company_source, str) and cls.company_source not in COMPANY_SOURCES:
            raise ImproperlyConfigured(f"{cls.__name__}: unknown company_source {cls.company_source!r}.")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permission classes, throttles
        method = "GET" if request.method == "HEAD" else request.method
        if method == "OPTIONS":
            return
        permission = self.company_permissions.get(method)
        if permission is None:
            return
        source = type(self).company_source  # read on the class: a function here must not bind to the view
        source = COMPANY_SOURCES[source] if isinstance(source, str) else source
        if getattr(source, "fetches_object", False):
            self.object, self.tenant = tenant_for_object(
                user=request.user, queryset=source(request, kwargs), permission=permission
            )
            return
        self.tenant = tenant_for(user=request.user, company_id=source(request, kwargs), permission=permission)
