"""`?q=` on the lead list: accent- and case-insensitive, every word must match, index-backed on PostgreSQL.

A lead's searched fields (first and last name, email, phone, company name) are folded into one text:
accents removed and lower case, by the database function `leadsy_fold` — on PostgreSQL an IMMUTABLE SQL
function over `unaccent` (migration 0006), on SQLite the Python `fold` below, registered on every connection
(`CampaignsConfig.ready`). The query's words are folded by the same function, in the same statement, so
"garcia", "GARCÍA" and "García" are one word on both backends.

The folded text lives in `campaigns_leadsearch` (`LeadSearch`) with a trigram GIN index, not in the lead table:
each index on `campaigns_lead` is paid by every imported row. So imports do not write it:

- Each chunk of an import records the range of lead ids it inserted (`lead_search_pending_add`, one row per
  chunk, in the chunk's transaction). A Celery task (`campaigns.index_lead_search`), queued after the import's
  final commit and every minute by beat, moves those ranges into `LeadSearch` set-based, one
  `INSERT … SELECT` per batch of ids, each batch committed with its range shortened.
- The rule until then: a search returns the indexed leads that match **plus** the leads of the company's
  pending ranges whose fields, folded on the fly, match. A lead is therefore findable from the commit that
  wrote it; a search right after a big import scans its not-yet-indexed rows, by primary-key range.
- A lead saved through the ORM is indexed by a `post_save` receiver, in the saving transaction. Set-based
  writes of a lead's searched fields elsewhere (an import in "update" mode, a bulk edit) call
  `lead_search_refresh(lead_ids=…)` in the same transaction: the row is rewritten from the lead table.
  Deleted leads need nothing: the orphan row is never returned (searches go through `campaigns_lead`), and
  `lead_search_refresh` with the deleted ids removes it.
"""

import unicodedata
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat

from .models import Lead, LeadSearch, LeadSearchPending

FOLD_FUNCTION = "leadsy_fold"
SEARCHED_FIELDS = ("first_name", "last_name", "email", "phone", "company_name")
# Lead ids per INSERT … SELECT of the indexing task: a few seconds of work, so a batch holds no lock for long.
INDEX_BATCH = 50_000
# SQLite allows 999 bound parameters per statement by default.
SQLITE_IDS = 900

# Letters that are not a base letter plus combining marks (so NFKD leaves them) and that PostgreSQL's unaccent
# maps; \u0131 is the dotless i.
_LETTERS = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "æ": "ae", "œ": "oe", "ħ": "h", "\u0131": "i", "þ": "th"}
)


def fold(text: str | None) -> str | None:
    """Lower case without accents: "Muñoz GARCÍA" → "munoz garcia" (SQLite's `leadsy_fold`)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).translate(_LETTERS)


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: SQLite gets `leadsy_fold` as a deterministic Python function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FOLD_FUNCTION, 1, fold, deterministic=True)


class Fold(Func):
    function = FOLD_FUNCTION
    output_field = TextField()


def _document() -> Concat:
    """The searched fields joined by spaces (a query word has none, so no word matches across two fields)."""
    parts: list = []
    for name in SEARCHED_FIELDS:
        parts += [F(name), Value(" ")]
    return Concat(*parts[:-1], output_field=TextField())


def _document_sql(alias: str) -> str:
    """`_document()` as SQL over `alias`, the same text: Concat turns NULL (absent email/phone) into ''."""
    joined = " || ' ' || ".join(f"COALESCE({alias}.{name}, '')" for name in SEARCHED_FIELDS)
    return f"{FOLD_FUNCTION}({joined})"


# --- reads --------------------------------------------------------------------------------------


def lead_search_filter(leads: QuerySet[Lead], *, company_id: int, q: str) -> QuerySet[Lead]:
    """`leads` (already the company's) narrowed to those matching every word of `q`."""
    words = q.split()
    if not words:
        return leads
    indexed = LeadSearch.objects.filter(company_id=company_id)
    for word in words:
        indexed = indexed.filter(document__contains=Fold(Value(word)))
    matching = indexed.order_by().values("lead_id")
    pending = LeadSearchPending.objects.filter(company_id=company_id)
    ranges = _merged(pending.values_list("first_lead_id", "last_lead_id"))
    if ranges:
        in_ranges = Q()
        for first, last in ranges:
            in_ranges |= Q(pk__range=(first, last))
        live = Lead.objects.filter(in_ranges, company_id=company_id).alias(search_document=Fold(_document()))
        for word in words:
            live = live.filter(search_document__contains=Fold(Value(word)))
        # One subquery (UNION ALL), so PostgreSQL still plans a semi-join from the index's matches rather
        # than testing every lead of the company against an OR.
        matching = matching.union(live.order_by().values("pk"), all=True)
    return leads.filter(pk__in=matching)


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


# --- writes -------------------------------------------------------------------------------------


def lead_search_pending_add(*, company_id: int, lead_ids: Sequence[int]) -> None:
    """Record the leads an import chunk inserted (inside its transaction): findable now, indexed later."""
    if lead_ids:
        LeadSearchPending.objects.create(company_id=company_id, first_lead_id=min(lead_ids), last_lead_id=max(lead_ids))


def _upsert_sql(where: str) -> str:
    table, search = Lead._meta.db_table, LeadSearch._meta.db_table
    return f"""
        INSERT INTO {search} (lead_id, company_id, document)
        SELECT l.id, l.company_id, {_document_sql("l")} FROM {table} l WHERE {where}
        ON CONFLICT (lead_id) DO UPDATE SET company_id = excluded.company_id, document = excluded.document
    """  # noqa: S608 - identifiers from the models, values bound


def lead_search_index_pending(*, batch: int = INDEX_BATCH) -> int:
    """Move every pending range into `LeadSearch`, a batch of lead ids per transaction; the leads indexed.

    Safe to run twice and side by side: a range is claimed with SKIP LOCKED, and each batch commits the
    documents together with its range shortened (or deleted), so a crash resumes where it stopped."""
    indexed = 0
    while True:
        with transaction.atomic():
            pending = LeadSearchPending.objects.select_for_update(skip_locked=True).order_by("pk").first()
            if pending is None:
                return indexed
            last = min(pending.last_lead_id, pending.first_lead_id + batch - 1)
            with connection.cursor() as cursor:
                cursor.execute(
                    _upsert_sql("l.company_id = %s AND l.id BETWEEN %s AND %s"),
                    [pending.company_id, pending.first_lead_id, last],
                )
                indexed += max(cursor.rowcount, 0)
            if last >= pending.last_lead_id:
                pending.delete()
            else:
                pending.first_lead_id = last + 1
                pending.save(update_fields=["first_lead_id"])


def refresh_saved_lead(sender, instance: Lead, created: bool, update_fields=None, **kwargs) -> None:
    """`post_save` receiver on Lead: a lead saved through the ORM (a form, the admin, a factory, the API's
    edit when it saves the instance) is indexed in the saving transaction. Set-based writes send no signal:
    they call `lead_search_refresh` (or, for imports, `lead_search_pending_add`). There is deliberately no
    `post_delete` receiver: it would make Django load every lead of a bulk delete to send it."""
    if update_fields is not None and not set(update_fields) & set(SEARCHED_FIELDS):
        return
    lead_search_refresh(lead_ids=[instance.pk])


def lead_search_refresh(*, lead_ids: Iterable[int]) -> None:
    """Rewrite the search rows of these leads from the lead table, now (call it in the transaction that
    changed their names, email, phone or company name); ids of deleted leads lose their row."""
    ids = sorted({int(lead_id) for lead_id in lead_ids})
    if not ids:
        return
    step = len(ids) if connection.vendor == "postgresql" else SQLITE_IDS
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), step):
            batch = ids[start : start + step]
            if connection.vendor == "postgresql":
                where, params = "l.id = ANY(%s)", [batch]
            else:
                where, params = f"l.id IN ({', '.join(['%s'] * len(batch))})", batch
            LeadSearch.objects.filter(lead_id__in=batch).exclude(lead_id__in=Lead.objects.filter(pk__in=batch)).delete()
            cursor.execute(_upsert_sql(where), params)
