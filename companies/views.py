from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.serializers import UserSerializer
from leadsy.api.input import validated
from leadsy.api.pagination import object_response, paginated_response
from leadsy.api.schema import (
    PAGINATION_PARAMETERS,
    AuthErrorSerializer,
    ErrorSerializer,
    MessageSerializer,
    envelope,
    list_envelope,
)
from leadsy.api.throttles import IPThrottle, KeyedThrottle

from . import selectors, services
from .access import CompanyScopedView, as_id, companies_visible_to, company_get_for_user, user_get_visible
from .images import verified_image_file
from .models import Access, Invitation, UserAccess
from .serializers import (
    AccessSerializer,
    CompanyAvatarDeleteSerializer,
    CompanyAvatarSerializer,
    CompanyCreateSerializer,
    CompanySerializer,
    CycleCreateSerializer,
    CycleSerializer,
    CyclesFlagSerializer,
    InvitationAcceptSerializer,
    InvitationCreateSerializer,
    UserAccessBulkSerializer,
    UserAccessCreateSerializer,
    UserAccessSerializer,
)
from .user_serializers import CompanyUserSerializer, InvitationSerializer, PendingInvitationSerializer


def _text_param(request, name: str, limit: int = 200) -> str:
    """A free-text query parameter, cut to a sane length and without NUL (PostgreSQL refuses it in text)."""
    return (request.query_params.get(name) or "")[:limit].replace("\x00", "")


def _invitation_by_code(code: str) -> Invitation:
    invitation = None
    if len(code) <= 64 and "\x00" not in code:
        invitation = Invitation.objects.select_related("company", "access", "invited_by").filter(code=code).first()
    if invitation is None:
        raise NotFound()
    return invitation


def _access_level(access_id) -> Access:
    """An access level named in a body: unknown ids are a 422 on `access_id` (Rules)."""
    level = Access.objects.filter(pk=as_id(access_id)).first()
    if level is None:
        raise ValidationError({"access_id": ["No such access level."]})
    return level


COMPANY = envelope("company", CompanySerializer)
QUERY_COMPANY_ID = OpenApiParameter("company_id", OpenApiTypes.INT, description="Alternative to the body field.")


# --- Companies ------------------------------------------------------------------------------------
class CompanyAvatarView(CompanyScopedView):
    company_permissions = {"PUT": "company.manage", "DELETE": "company.manage"}
    company_source = "body_or_query"

    @extend_schema(
        tags=["Companies"],
        summary="Upload a company avatar (owner/admin)",
        description="Base64 PNG, JPEG, WebP or GIF up to 5 MB; decoded and re-encoded, `type` is not trusted.",
        request=CompanyAvatarSerializer,
        responses={200: COMPANY},
    )
    def put(self, request):
        data = validated(CompanyAvatarSerializer, request.data)
        image = verified_image_file(base64_data=data["avatar_base64"], field="avatar_base64")
        company = services.company_avatar_set(company=self.tenant.company, image=image)
        return object_response("company", CompanySerializer(company, context={"request": request}).data)

    @extend_schema(
        tags=["Companies"],
        summary="Remove a company avatar (owner/admin)",
        parameters=[QUERY_COMPANY_ID],
        request=CompanyAvatarDeleteSerializer,
        responses={200: COMPANY},
    )
    def delete(self, request):
        company = services.company_avatar_delete(company=self.tenant.company)
        return object_response("company", CompanySerializer(company, context={"request": request}).data)


class CompanyListView(APIView):
    @extend_schema(
        tags=["Companies"],
        summary="The caller's companies",
        operation_id="companies_list",
        parameters=PAGINATION_PARAMETERS,
        responses={200: list_envelope("companies", CompanySerializer)},
    )
    def get(self, request):
        companies = selectors.company_list_for_user(user=request.user)
        return paginated_response(request, companies, CompanySerializer, key="companies")

    @extend_schema(
        tags=["Companies"],
        summary="Create a company (the caller becomes its owner; it starts on the free plan)",
        description="A `parent_company_id` must be a company the caller administers (owner/admin), else 422.",
        request=CompanyCreateSerializer,
        responses={201: COMPANY},
    )
    def post(self, request):
        data = validated(CompanyCreateSerializer, request.data)
        parent = None
        if data.get("parent_company_id") is not None:
            parent = companies_visible_to(request.user).filter(pk=as_id(data["parent_company_id"])).first()
            if parent is None:
                raise ValidationError({"parent_company_id": ["No such company among those you administer."]})
        company = services.company_create(
            user=request.user, name=data["name"], country=data.get("country") or "", parent_company=parent
        )
        return object_response("company", CompanySerializer(company, context={"request": request}).data, status=201)


class CompanyDetailView(CompanyScopedView):
    company_permissions = {"GET": "company.view"}

    @extend_schema(tags=["Companies"], summary="Show a company", responses={200: COMPANY})
    def get(self, request, company_id):
        return object_response("company", CompanySerializer(self.tenant.company, context={"request": request}).data)


class CompanyUsersView(CompanyScopedView):
    company_permissions = {"GET": "users.view"}

    @extend_schema(
        tags=["Company users"],
        summary="Users of a company, each with its access there",
        parameters=[
            *PAGINATION_PARAMETERS,
            OpenApiParameter("q", OpenApiTypes.STR, description="Search in names and email."),
        ],
        responses={200: list_envelope("users", CompanyUserSerializer, name="CompanyUsersListEnvelope")},
    )
    def get(self, request, company_id):
        users = selectors.company_users(tenant=self.tenant, q=_text_param(request, "q"))
        return paginated_response(request, users, CompanyUserSerializer, key="users")


# --- Cycles ---------------------------------------------------------------------------------------
class CompanyCyclesView(CompanyScopedView):
    company_permissions = {"PUT": "company.manage", "POST": "company.manage"}

    @extend_schema(
        tags=["Cycles"],
        summary="Turn cycles on or off for a company (owner/admin)",
        request=CyclesFlagSerializer,
        responses={200: COMPANY},
    )
    def put(self, request, company_id):
        data = validated(CyclesFlagSerializer, request.data)
        company = services.company_cycles_set(company=self.tenant.company, enabled=data["cycles_enabled"])
        return object_response("company", CompanySerializer(company, context={"request": request}).data)

    @extend_schema(
        tags=["Cycles"],
        summary="Create a cycle (owner/admin); 422 when cycles are off or it overlaps another",
        request=CycleCreateSerializer,
        responses={201: envelope("cycle", CycleSerializer)},
    )
    def post(self, request, company_id):
        data = validated(CycleCreateSerializer, request.data)
        cycle = services.cycle_create(company=self.tenant.company, **data)
        return object_response("cycle", CycleSerializer(cycle).data, status=201)


# --- Accesses -------------------------------------------------------------------------------------
class AccessListView(APIView):
    @extend_schema(
        tags=["Accesses"],
        summary="The access levels",
        operation_id="accesses_list",
        parameters=PAGINATION_PARAMETERS,
        responses={200: list_envelope("accesses", AccessSerializer)},
    )
    def get(self, request):
        return paginated_response(request, selectors.access_list(), AccessSerializer, key="accesses")


class AccessDetailView(APIView):
    @extend_schema(
        tags=["Accesses"], summary="Show an access level", responses={200: envelope("access", AccessSerializer)}
    )
    def get(self, request, access_id):
        level = selectors.access_list().filter(pk=as_id(access_id)).first()
        if level is None:
            raise NotFound()
        return object_response("access", AccessSerializer(level).data)


# --- User accesses --------------------------------------------------------------------------------
USER_ACCESSES = list_envelope("user_accesses", UserAccessSerializer)


class UserAccessListView(CompanyScopedView):
    # GET reads one user's accesses across the companies the caller sees (`?company_id=` narrows it);
    # PUT names a company per entry, each checked by the service: neither acts in one company.
    company_permissions = {"GET": None, "POST": "users.manage", "PUT": None}
    company_source = "body"

    @extend_schema(
        tags=["User access"],
        summary="A user's accesses in the companies the caller can see",
        parameters=[*PAGINATION_PARAMETERS, OpenApiParameter("company_id", OpenApiTypes.INT)],
        responses={200: USER_ACCESSES},
    )
    def get(self, request, user_id):
        user = user_get_visible(viewer=request.user, user_id=user_id)
        company = None
        if request.query_params.get("company_id"):
            company = company_get_for_user(user=request.user, company_id=request.query_params["company_id"])
        accesses = selectors.user_accesses_visible(viewer=request.user, user=user, company=company)
        return paginated_response(request, accesses, UserAccessSerializer, key="user_accesses")

    @extend_schema(
        tags=["User access"],
        summary="Give a user an access in a company (owner/admin there)",
        description=(
            "Consent: only for a user who already holds an access in a company you administer; anyone else "
            "→ 404 and nothing is created (they join by invitation). 422 when the plan's `max_users` is "
            "reached. Only an owner grants the owner level."
        ),
        request=UserAccessCreateSerializer,
        responses={201: envelope("user_access", UserAccessSerializer)},
    )
    def post(self, request, user_id):
        user = user_get_visible(viewer=request.user, user_id=user_id)
        data = validated(UserAccessCreateSerializer, request.data)
        access = services.user_access_create(
            actor=request.user,
            user=user,
            company=self.tenant.company,
            access=_access_level(data["access_id"]),
            primary=data["primary"],
        )
        return object_response("user_access", UserAccessSerializer(access).data, status=201)

    @extend_schema(
        tags=["User access"],
        summary="Create, update and remove a user's accesses, all or nothing",
        description=(
            "Entries with `id` update (or with `_destroy: true` remove) that access; entries without create one. "
            "Answers with all of the user's accesses the caller can see. Exactly one stays primary; a company "
            "never loses its last owner; the plan's `max_users` holds (422)."
        ),
        request=UserAccessBulkSerializer,
        responses={200: USER_ACCESSES},
    )
    def put(self, request, user_id):
        user = user_get_visible(viewer=request.user, user_id=user_id)
        data = validated(UserAccessBulkSerializer, request.data)
        services.user_accesses_update(actor=request.user, user=user, entries=data["user_accesses_attributes"])
        accesses = selectors.user_accesses_visible(viewer=request.user, user=user)
        return paginated_response(request, accesses, UserAccessSerializer, key="user_accesses")


class UserAccessDetailView(APIView):
    @extend_schema(
        tags=["User access"],
        summary="Remove a user's access (owner/admin of its company), or leave a company (your own access)",
        description="A company never loses its last owner (422).",
        responses={200: MessageSerializer},
    )
    def delete(self, request, user_id, user_access_id):
        user = user_get_visible(viewer=request.user, user_id=user_id)
        user_access = (
            UserAccess.objects.select_related("company", "access", "user")
            .filter(pk=as_id(user_access_id), user=user, company__in=companies_visible_to(request.user))
            .first()
        )
        if user_access is None:
            raise NotFound()
        services.user_access_delete(actor=request.user, user_access=user_access)
        return object_response("message", "The access was removed.")


# --- Invitations ----------------------------------------------------------------------------------
class InvitationCodeThrottle(IPThrottle):
    """Codes are unguessable; this bounds how fast anyone can try."""

    scope = "invitation_code"


class InvitationsPerCompanyThrottle(KeyedThrottle):
    """Each invitation emails an address of the inviter's choosing: bound how many a company sends."""

    scope = "invitations_company"


INVITATION = envelope("invitation", InvitationSerializer)


class InvitationListView(CompanyScopedView):
    company_permissions = {"POST": "invitations.manage"}
    company_source = "body"

    @extend_schema(
        tags=["Invitations"],
        summary="Invite an email into a company (owner/admin); the code goes out by email, valid 7 days",
        request=InvitationCreateSerializer,
        responses={201: INVITATION},
    )
    def post(self, request):
        # Counted per company once the caller is known to manage it, so nobody else can use up its quota.
        InvitationsPerCompanyThrottle().check(key=str(self.tenant.company.pk))
        data = validated(InvitationCreateSerializer, request.data)
        invitation = services.invitation_create(
            actor=request.user,
            company=self.tenant.company,
            email=data["email"],
            access=_access_level(data["access_id"]),
        )
        return object_response("invitation", InvitationSerializer(invitation).data, status=201)


class InvitationPendingView(APIView):
    @extend_schema(
        tags=["Invitations"],
        summary="Pending invitations: those to the caller's email and those of companies it administers",
        description=(
            "`code` is shown to the inviting company's owners/admins and to an invitee whose email is "
            "verified; otherwise it is null (use the emailed link)."
        ),
        parameters=[*PAGINATION_PARAMETERS, OpenApiParameter("email", OpenApiTypes.EMAIL)],
        responses={
            200: list_envelope("invitations", PendingInvitationSerializer, name="PendingInvitationsListEnvelope")
        },
    )
    def get(self, request):
        invitations = selectors.pending_invitations(viewer=request.user, email=_text_param(request, "email", 254))
        return paginated_response(request, invitations, PendingInvitationSerializer, key="invitations")


class InvitationDetailView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [InvitationCodeThrottle]

    @extend_schema(tags=["Invitations"], summary="Read an invitation by its code (public)", responses={200: INVITATION})
    def get(self, request, code):
        return object_response("invitation", InvitationSerializer(_invitation_by_code(code)).data)


class InvitationAcceptView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [InvitationCodeThrottle]

    @extend_schema(
        tags=["Invitations"],
        summary="Accept an invitation: a new person signs up, or an existing user sends its JWT",
        description=(
            "Without a JWT: `first_name`, `last_name`, `password` create the invited user, active, with the "
            "access. With a JWT of the invited email: no body needed. 409 when the invitation is expired, "
            "revoked or already used."
        ),
        request=InvitationAcceptSerializer,
        responses={
            200: envelope("user", UserSerializer),
            401: AuthErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request, code):
        data = validated(InvitationAcceptSerializer, request.data)
        actor = request.user if request.user.is_authenticated else None
        user = services.invitation_accept(code=_invitation_by_code(code).code, user=actor, **({} if actor else data))
        return object_response("user", UserSerializer(user, context={"request": request}).data)
