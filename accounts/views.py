"""Users, login and tokens, password set/reset, avatars and onboarding: HTTP in, service call, envelope out."""

import ipaddress
from datetime import UTC, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from companies.access import company_get_for_user
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
from leadsy.api.throttles import UserThrottle
from legal.services import terms_accept

from . import services
from .selectors import (
    user_administered_by,
    user_find_by_email_for_user,
    user_get_for_user,
    user_list_for_user,
    with_primary_access,
)
from .serializers import (
    AvatarDeleteSerializer,
    AvatarSetSerializer,
    EmailLinkSerializer,
    FindByEmailSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    TermsAcceptSerializer,
    TokenRefreshInputSerializer,
    TokensSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
    ValidateJwtResponseSerializer,
)
from .throttles import (
    CredentialChangeThrottle,
    LoginEmailThrottle,
    LoginIPThrottle,
    PasswordResetEmailThrottle,
    PasswordResetIPThrottle,
    SignupIPThrottle,
    SignupUserThrottle,
    TokenRefreshThrottle,
    VerificationResendThrottle,
)

USER_ENVELOPE = envelope("user", UserSerializer)
TAGS = ["Users"]


def _user_response(request, user, status=200):
    user = with_primary_access(type(user).objects.filter(pk=user.pk)).get()
    return object_response("user", UserSerializer(user, context={"request": request}).data, status=status)


def _target_for_change(request, user_id):
    """The user whose avatar is changed: yourself, or one you administer (visible but not administered → 403)."""
    if user_id is None or user_id == request.user.pk:
        return request.user
    target = user_get_for_user(user=request.user, user_id=user_id)
    if not user_administered_by(actor=request.user, user=target):
        raise PermissionDenied("Only the user itself or an owner/admin of every company of the user can change it.")
    return target


def _self_only(request, user_id):
    """Onboarding belongs to the user itself: others' ids are 404 when invisible, 403 otherwise."""
    target = user_get_for_user(user=request.user, user_id=user_id)
    if target.pk != request.user.pk:
        raise PermissionDenied("Only the user itself can do this.")
    return request.user


class UsersView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_throttles(self):
        if self.request.method == "POST":
            # Per IP whoever calls (a JWT must not lift the limit), and per caller when signed in.
            return [SignupIPThrottle(), SignupUserThrottle(), UserThrottle()]
        return super().get_throttles()

    @extend_schema(
        tags=TAGS,
        operation_id="users_list",
        summary="List the users who share a company with you",
        parameters=[
            OpenApiParameter(
                "company_id", OpenApiTypes.INT, description="Only this company's users (404 if you cannot see it)."
            ),
            *PAGINATION_PARAMETERS,
        ],
        responses={200: list_envelope("users", UserSerializer)},
    )
    def get(self, request):
        company_id = request.query_params.get("company_id")
        if company_id not in (None, ""):
            company_id = company_get_for_user(user=request.user, company_id=company_id, permission="users.view").id
        else:
            company_id = None
        users = user_list_for_user(user=request.user, company_id=company_id)
        return paginated_response(request, users, UserSerializer, key="users")

    @extend_schema(
        tags=TAGS,
        summary="Create a user (public sign-up, or an owner/admin adding users to its companies)",
        description=(
            "Without `password` the user is `pending` and is emailed a link to set one; with one it is "
            "`active` but `email_verified` is false until the emailed verification link is opened (56). "
            "`user_accesses_attributes` need a JWT of an owner/admin of every company named: "
            "anonymous → 403, invisible company → 404, too low a level → 403; nothing is created then."
        ),
        request=UserCreateSerializer,
        responses={201: USER_ENVELOPE, 401: AuthErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request):
        data = validated(UserCreateSerializer, request.data)
        user = services.user_create(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            password=data.get("password") or None,
            user_accesses_attributes=data.get("user_accesses_attributes"),
            created_by=request.user,
        )
        return _user_response(request, user, status=201)


class UserDetailView(APIView):
    def get_throttles(self):
        if self.request.method == "PUT":
            return [CredentialChangeThrottle(), UserThrottle()]
        return super().get_throttles()

    @extend_schema(tags=TAGS, summary="Show a user", responses={200: USER_ENVELOPE})
    def get(self, request, user_id: int):
        user = user_get_for_user(user=request.user, user_id=user_id)
        return object_response("user", UserSerializer(user, context={"request": request}).data)

    @extend_schema(
        tags=TAGS,
        summary="Update a user (partial)",
        description=(
            "`email` and `password` are the user's own: only the user itself, with `current_password` "
            "(422 without it or when wrong); anyone else → 403. A new `email` takes effect when the link "
            "sent to it is confirmed (`POST /users/email_change/confirm`); the old address is told. Names: "
            "yourself or an owner/admin of every company of the user; `status`: only such an owner/admin, "
            "never yourself. A password change or deactivation ends the user's sessions."
        ),
        request=UserUpdateSerializer,
        responses={200: USER_ENVELOPE},
    )
    def put(self, request, user_id: int):
        user = user_get_for_user(user=request.user, user_id=user_id)
        data = validated(UserUpdateSerializer, request.data)
        user = services.user_update(user=user, updated_by=request.user, data=data)
        return _user_response(request, user)


class UserFindByEmailView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Find a user you can see by email",
        parameters=[OpenApiParameter("email", OpenApiTypes.EMAIL, required=True)],
        responses={200: USER_ENVELOPE},
    )
    def get(self, request):
        email = validated(FindByEmailSerializer, request.query_params)["email"]
        user = user_find_by_email_for_user(user=request.user, email=email)
        return object_response("user", UserSerializer(user, context={"request": request}).data)


class CredentialsView(APIView):
    """A public view that answers bad credentials with 401 (DRF makes it 403 when no scheme is named)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class LoginView(CredentialsView):
    # Checked in initial(), before the password is hashed: a throttled attempt costs no hashing.
    throttle_classes = [LoginIPThrottle, LoginEmailThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Log in with email and password",
        description="401 with one message for an unknown email, a wrong password, or a user who cannot log in.",
        request=LoginSerializer,
        responses={200: LoginResponseSerializer, 401: AuthErrorSerializer},
    )
    def post(self, request):
        data = validated(LoginSerializer, request.data)
        user, refresh = services.login(request=request, email=data["email"], password=data["password"])
        user = with_primary_access(type(user).objects.filter(pk=user.pk)).get()
        body = {**services.tokens_body(refresh), "user": user}
        return Response(LoginResponseSerializer(body, context={"request": request}).data)


class TokenRefreshView(CredentialsView):
    throttle_classes = [TokenRefreshThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Exchange a refresh token for new tokens",
        description="The refresh token is single-use: the answer carries its replacement.",
        request=TokenRefreshInputSerializer,
        responses={200: TokensSerializer, 401: AuthErrorSerializer},
    )
    def post(self, request):
        data = validated(TokenRefreshInputSerializer, request.data)
        refresh = services.token_refresh(refresh_token=data["refresh_token"])
        return Response(TokensSerializer(services.tokens_body(refresh)).data)


class ValidateJwtView(APIView):
    @extend_schema(tags=TAGS, summary="Check the access token", responses={200: ValidateJwtResponseSerializer})
    def get(self, request):
        user = with_primary_access(type(request.user).objects.filter(pk=request.user.pk)).get()
        body = {
            "valid": True,
            "user": user,
            "expires_at": datetime.fromtimestamp(request.auth["exp"], tz=UTC),
        }
        return Response(ValidateJwtResponseSerializer(body, context={"request": request}).data)


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PasswordResetIPThrottle, PasswordResetEmailThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Email a one-time link to reset (or first set) the password",
        description="404 for an unknown email, 409 for an inactive user.",
        request=PasswordResetSerializer,
        responses={200: MessageSerializer, 409: ErrorSerializer},
    )
    def post(self, request):
        data = validated(PasswordResetSerializer, request.data)
        services.password_reset_request(email=data["email"])
        return Response({"message": "We have emailed you a link to choose a new password."})


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PasswordResetIPThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Choose a new password with the emailed link's uid and token",
        description="An invalid, expired or used link → 422 on `token`; a weak password → 422 on `password`.",
        request=PasswordResetConfirmSerializer,
        responses={200: MessageSerializer},
    )
    def post(self, request):
        data = validated(PasswordResetConfirmSerializer, request.data)
        services.password_reset_confirm(uid=data["uid"], token=data["token"], password=data["password"])
        return Response({"message": "Your password has been set. You can log in now."})


class EmailVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PasswordResetIPThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Verify your email with the emailed link's uid and token",
        description="An invalid, expired or used link → 422 on `token`.",
        request=EmailLinkSerializer,
        responses={200: USER_ENVELOPE},
    )
    def post(self, request):
        data = validated(EmailLinkSerializer, request.data)
        user = services.email_verify(uid=data["uid"], token=data["token"])
        return _user_response(request, user)


class EmailVerifyResendView(APIView):
    throttle_classes = [VerificationResendThrottle, UserThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Email yourself a new verification link",
        description="Nothing is sent when your email is verified already.",
        request=None,
        responses={200: MessageSerializer},
    )
    def post(self, request):
        services.verification_email_resend(user=request.user)
        return Response({"message": "If your email is not verified yet, we have emailed you a link."})


class EmailChangeConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PasswordResetIPThrottle]

    @extend_schema(
        tags=TAGS,
        summary="Confirm an email change with the link sent to the new address",
        description=(
            "The new address replaces the old one and counts as verified; the user's sessions end. "
            "An invalid, expired or used link → 422 on `token`."
        ),
        request=EmailLinkSerializer,
        responses={200: USER_ENVELOPE},
    )
    def post(self, request):
        data = validated(EmailLinkSerializer, request.data)
        user = services.email_change_confirm(uid=data["uid"], token=data["token"])
        return _user_response(request, user)


class UserAvatarView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Set a user's avatar (base64 JSON)",
        description=(
            "PNG, JPEG, WebP or GIF up to 5 MB and 16.8 million pixels (WebP 8.4), verified by decoding it and stored "
            "re-encoded without metadata. Anything else → 422 and the old avatar stays."
        ),
        request=AvatarSetSerializer,
        responses={200: USER_ENVELOPE},
    )
    def put(self, request):
        data = validated(AvatarSetSerializer, request.data)
        user = _target_for_change(request, data.get("user_id"))
        user = services.user_avatar_set(user=user, avatar_base64=data["avatar_base64"])
        return _user_response(request, user)

    @extend_schema(
        tags=TAGS,
        summary="Remove a user's avatar",
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, description="Defaults to the caller.")],
        request=AvatarDeleteSerializer,
        responses={200: USER_ENVELOPE},
    )
    def delete(self, request):
        data = validated(AvatarDeleteSerializer, {**request.query_params.dict(), **_body_dict(request)})
        user = _target_for_change(request, data.get("user_id"))
        user = services.user_avatar_delete(user=user)
        return _user_response(request, user)


def _client_ip(request) -> str | None:
    """The client IP as the throttles see it (NUM_PROXIES decides whether X-Forwarded-For counts)."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def _body_dict(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


class UserOnboardingView(APIView):
    @extend_schema(
        tags=["Onboarding"], summary="Mark your onboarding as completed", request=None, responses={200: USER_ENVELOPE}
    )
    def put(self, request, user_id: int):
        user = services.user_onboarding_complete(user=_self_only(request, user_id))
        return _user_response(request, user)


class UserTermsView(APIView):
    @extend_schema(
        tags=["Onboarding"],
        summary="Accept the current terms and conditions",
        description=(
            "`legal_term_id` must be the current version (else 422). "
            "Records who accepted which version, when and from which IP."
        ),
        request=TermsAcceptSerializer,
        responses={200: USER_ENVELOPE},
    )
    def put(self, request, user_id: int):
        user = _self_only(request, user_id)
        data = validated(TermsAcceptSerializer, request.data)
        terms_accept(
            user=user,
            legal_term_id=data["legal_term_id"],
            ip=_client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return _user_response(request, user)
