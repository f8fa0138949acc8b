from django.urls import path

from . import views

urlpatterns = [
    path("stages", views.StageListView.as_view(), name="stage-list"),
    path("companies/<int:company_id>/campaigns", views.CompanyCampaignsView.as_view(), name="company-campaigns"),
    path("campaigns/<int:campaign_id>", views.CampaignDetailView.as_view(), name="campaign-detail"),
    path("campaigns/<int:campaign_id>/questions", views.CampaignQuestionsView.as_view(), name="campaign-questions"),
    path(
        "campaigns/<int:campaign_id>/questions/options",
        views.CampaignQuestionOptionsView.as_view(),
        name="campaign-question-options",
    ),
    path("questions/<int:question_id>", views.QuestionDetailView.as_view(), name="question-detail"),
    path("companies/<int:company_id>/leads", views.CompanyLeadsView.as_view(), name="company-leads"),
    path("companies/<int:company_id>/leads/bulk", views.CompanyLeadsBulkView.as_view(), name="company-leads-bulk"),
    path(
        "companies/<int:company_id>/leads/export", views.CompanyLeadsExportView.as_view(), name="company-leads-export"
    ),
    path("leads/<int:lead_id>", views.LeadDetailView.as_view(), name="lead-detail"),
]
