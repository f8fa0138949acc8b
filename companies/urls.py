from django.urls import path

from . import views

urlpatterns = [
    path("companies/avatar", views.CompanyAvatarView.as_view(), name="company-avatar"),
    path("companies", views.CompanyListView.as_view(), name="company-list"),
    path("companies/<int:company_id>", views.CompanyDetailView.as_view(), name="company-detail"),
    path("companies/<int:company_id>/users", views.CompanyUsersView.as_view(), name="company-users"),
    path("companies/<int:company_id>/cycles", views.CompanyCyclesView.as_view(), name="company-cycles"),
    path("accesses", views.AccessListView.as_view(), name="access-list"),
    path("accesses/<int:access_id>", views.AccessDetailView.as_view(), name="access-detail"),
    path("users/<int:user_id>/user_access", views.UserAccessListView.as_view(), name="user-access-list"),
    path(
        "users/<int:user_id>/user_access/<int:user_access_id>",
        views.UserAccessDetailView.as_view(),
        name="user-access-detail",
    ),
    path("invitations", views.InvitationListView.as_view(), name="invitation-list"),
    path("invitations/pending", views.InvitationPendingView.as_view(), name="invitation-pending"),
    path("invitations/<str:code>", views.InvitationDetailView.as_view(), name="invitation-detail"),
    path("invitations/<str:code>/accept", views.InvitationAcceptView.as_view(), name="invitation-accept"),
]
