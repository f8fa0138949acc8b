"""Celery tasks: named explicitly, so beat and the broker never depend on module paths."""

from celery import shared_task
from django.db import transaction

from .search import lead_search_index_pending


# A batch commits every INDEX_BATCH leads, so the default time limits only ever cut a run short, never lose
# work: the next run (beat queues one every minute) resumes from the pending ranges.
@shared_task(name="campaigns.index_lead_search", acks_late=True, ignore_result=True)
def index_lead_search() -> int:
    """Index the leads imports wrote since the last run; returns how many."""
    return lead_search_index_pending()


def lead_search_index_soon() -> None:
    """Queue the indexing task after the current transaction commits (the import's final commit)."""
    transaction.on_commit(index_lead_search.delay)
