from django.urls import path

from .views import LegalTermCurrentView, LegalTermDetailView

urlpatterns = [
    path("legal_terms/current", LegalTermCurrentView.as_view(), name="legal-term-current"),
    path("legal_terms/<int:legal_term_id>", LegalTermDetailView.as_view(), name="legal-term-detail"),
]
