from django.db import transaction
from django.utils import timezone

from leadsy.errors import InvalidFields

from .models import TermsAcceptance
from .selectors import legal_term_current


@transaction.atomic
def terms_accept(*, user, legal_term_id: int, ip: str | None, user_agent: str) -> TermsAcceptance:
    """Record that the user accepted the current terms. Accepting the same version again keeps the first record."""
    current = legal_term_current()
    if current is None or current.id != legal_term_id:
        raise InvalidFields({"legal_term_id": ["Only the current terms can be accepted."]})
    acceptance, created = TermsAcceptance.objects.get_or_create(
        user=user, legal_term=current, defaults={"ip": ip, "user_agent": (user_agent or "")[:512]}
    )
    if created or user.terms_accepted_at is None:
        user.terms_accepted_at = acceptance.accepted_at or timezone.now()
        user.save(update_fields=["terms_accepted_at", "updated_at"])
    return acceptance
