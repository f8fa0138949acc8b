from django.urls import path

from . import views

urlpatterns = [
    path("users", views.UsersView.as_view(), name="users"),
    path("users/login", views.LoginView.as_view(), name="user-login"),
    path("users/token/refresh", views.TokenRefreshView.as_view(), name="user-token-refresh"),
    path("users/validate_jwt", views.ValidateJwtView.as_view(), name="user-validate-jwt"),
    path("users/find_by_email", views.UserFindByEmailView.as_view(), name="user-find-by-email"),
    path("users/reset_password", views.PasswordResetView.as_view(), name="user-reset-password"),
    path("users/reset_password/confirm", views.PasswordResetConfirmView.as_view(), name="user-reset-password-confirm"),
    path("users/verify_email", views.EmailVerifyView.as_view(), name="user-verify-email"),
    path("users/verify_email/resend", views.EmailVerifyResendView.as_view(), name="user-verify-email-resend"),
    path("users/email_change/confirm", views.EmailChangeConfirmView.as_view(), name="user-email-change-confirm"),
    path("users/avatar", views.UserAvatarView.as_view(), name="user-avatar"),
    path("users/<int:user_id>", views.UserDetailView.as_view(), name="user-detail"),
    path("users/<int:user_id>/onboarding", views.UserOnboardingView.as_view(), name="user-onboarding"),
    path("users/<int:user_id>/onboarding/terms_and_conditions", views.UserTermsView.as_view(), name="user-terms"),
]
