from django.urls import path

from . import views

urlpatterns = [
    path("memberships", views.MembershipListView.as_view(), name="membership-list"),
    path("memberships/<int:membership_id>", views.MembershipDetailView.as_view(), name="membership-detail"),
    path("companies/<int:company_id>/membership", views.CompanyMembershipView.as_view(), name="company-membership"),
    path(
        "companies/<int:company_id>/membership/cancel",
        views.CompanyMembershipCancelView.as_view(),
        name="company-membership-cancel",
    ),
]
