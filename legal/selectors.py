from django.db.models import QuerySet
from django.utils import timezone

from leadsy.errors import NotFound
from leadsy.ids import as_id

from .models import LegalTerm


def legal_terms_published() -> QuerySet[LegalTerm]:
    return LegalTerm.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())


def legal_term_current() -> LegalTerm | None:
    return legal_terms_published().order_by("-published_at", "-id").first()


def legal_term_get(*, legal_term_id) -> LegalTerm:
    """A published version by id; drafts and unknown ids are not found."""

    term_id = as_id(legal_term_id)
    term = legal_terms_published().filter(id=term_id).first() if term_id else None
    if term is None:
        raise NotFound()
    return term
