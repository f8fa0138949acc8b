"""`?q=` ignores accents and case, ANDs its words, finds leads right after an import (before and after the
index task ran) and after an edit, never another company's; `meta.total_count` is capped. Runs on SQLite by
default and on PostgreSQL with DATABASE_URL (the trigram index and `unaccent` path)."""

import pytest
from django.db import connection

from campaigns.models import Lead, LeadSearch, LeadSearchPending
from campaigns.search import fold, lead_search_refresh
from campaigns.tasks import index_lead_search
from imports.services import import_file_create, import_file_process
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def url(company_id, query=""):
    return f"/api/v1/companies/{company_id}/leads{query}"


def found(client, company_id, q):
    response = client.get(url(company_id), {"q": q})
    assert response.status_code == 200, response.json()
    return sorted(lead["id"] for lead in response.json()["leads"])


def test_fold_removes_accents_and_case():
    assert fold("GARCÍA Muñoz Ærøskøbing Straße") == "garcia munoz aeroskobing strasse"


def test_accents_and_case_are_ignored_on_both_sides(client_for, owner):
    garcia = LeadFactory(company=owner.company, first_name="Ana", last_name="García")
    upper = LeadFactory(company=owner.company, first_name="LUIS", last_name="GARCÍA")
    plain = LeadFactory(company=owner.company, first_name="eva", last_name="garcia")
    munoz = LeadFactory(company=owner.company, first_name="José", last_name="Muñoz")
    LeadFactory(company=owner.company, first_name="Bob", last_name="Smith")
    client = client_for(owner)
    company = owner.company.id
    everyone = sorted([garcia.id, upper.id, plain.id])
    assert found(client, company, "garcia") == everyone
    assert found(client, company, "GARCÍA") == everyone
    assert found(client, company, "García") == everyone
    assert found(client, company, "munoz") == [munoz.id]
    assert found(client, company, "MUÑOZ") == [munoz.id]
    assert found(client, company, "jose") == [munoz.id]


def test_every_word_must_match_some_field(client_for, owner):
    ana = LeadFactory(company=owner.company, first_name="Ana", last_name="García", company_name="Café Olé")
    LeadFactory(company=owner.company, first_name="Ana", last_name="Smith", company_name="Initech")
    LeadFactory(company=owner.company, first_name="Luis", last_name="García", company_name="Initech")
    client = client_for(owner)
    assert found(client, owner.company.id, "ana garcia") == [ana.id]
    assert found(client, owner.company.id, "garcia cafe") == [ana.id]
    assert found(client, owner.company.id, "ana garcia initech") == []


def test_wildcards_in_q_are_literal(client_for, owner):
    percent = LeadFactory(company=owner.company, company_name="100% Café")
    LeadFactory(company=owner.company, company_name="1000 Cafes")
    client = client_for(owner)
    assert found(client, owner.company.id, "100%") == [percent.id]
    assert found(client, owner.company.id, "_") == []


def test_another_companys_leads_are_never_returned(client_for, owner, outsider):
    mine = LeadFactory(company=owner.company, last_name="García")
    LeadFactory(company=outsider.company, last_name="García")
    assert found(client_for(owner), owner.company.id, "garcia") == [mine.id]


def test_an_edit_is_searchable_at_once(client_for, owner):
    lead = LeadFactory(company=owner.company, last_name="Smith")
    client = client_for(owner)
    lead.last_name = "Núñez"
    lead.save()  # the ORM path: post_save refreshes the search row
    assert found(client, owner.company.id, "nunez") == [lead.id]
    assert found(client, owner.company.id, "smith") == []
    # The set-based path (a bulk edit) calls lead_search_refresh itself.
    Lead.objects.filter(pk=lead.pk).update(last_name="Ibáñez")
    lead_search_refresh(lead_ids=[lead.pk])
    assert found(client, owner.company.id, "ibanez") == [lead.id]
    assert found(client, owner.company.id, "nunez") == []


def test_deleted_leads_leave_no_match(client_for, owner):
    lead = LeadFactory(company=owner.company, last_name="García")
    Lead.objects.filter(pk=lead.pk).delete()
    assert found(client_for(owner), owner.company.id, "garcia") == []
    lead_search_refresh(lead_ids=[lead.pk])
    assert not LeadSearch.objects.filter(lead_id=lead.pk).exists()


def test_imported_leads_are_found_before_and_after_the_index_task(
    client_for, owner, outsider, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_CHUNK_SIZE = 2
    path = tmp_path / "leads.csv"
    path.write_text(
        "first_name,last_name,email\n"
        "Ana,García,ana@example.com\nJosé,Muñoz,jose@example.com\nEva,GARCÍA,eva@example.com\nBob,Smith,bob@x.com\n",
        encoding="utf-8",
    )
    # Another company's import in between: its leads sit inside this import's id ranges.
    LeadFactory(company=outsider.company, last_name="García")
    upload = import_file_create(
        user=owner, company=owner.company, file=str(path), name=path.name, options={}, enqueue=False
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_file_process(import_file_id=upload.pk)
    queued = [getattr(getattr(callback, "__self__", None), "name", None) for callback in callbacks]
    assert "campaigns.index_lead_search" in queued
    assert not LeadSearch.objects.filter(lead__company=owner.company).exists()
    assert LeadSearchPending.objects.filter(company_id=owner.company.id).exists()

    client = client_for(owner)
    garcias = sorted(Lead.objects.filter(company=owner.company, email__in=["ana@example.com", "eva@example.com"])
                     .values_list("id", flat=True))  # fmt: skip
    assert found(client, owner.company.id, "garcia") == garcias  # not indexed yet: the pending ranges
    index_lead_search.apply(throw=True)
    assert not LeadSearchPending.objects.exists()
    assert LeadSearch.objects.filter(lead__company=owner.company).count() == 4
    assert found(client, owner.company.id, "garcia") == garcias  # from the index
    assert found(client, owner.company.id, "munoz jose") == [Lead.objects.get(email="jose@example.com").id]


def test_the_index_task_works_in_batches_and_resumes(owner):
    leads = [LeadFactory(company=owner.company, last_name="Peña") for _ in range(5)]
    LeadSearch.objects.all().delete()
    LeadSearchPending.objects.create(company_id=owner.company.id, first_lead_id=leads[0].pk, last_lead_id=leads[-1].pk)
    from campaigns.search import lead_search_index_pending

    assert lead_search_index_pending(batch=2) == 5
    assert LeadSearch.objects.filter(document__contains="pena").count() == 5
    assert lead_search_index_pending() == 0


class TestCount:
    def test_exact_under_the_cap(self, client_for, owner, settings):
        settings.LEAD_LIST_COUNT_CAP = 3
        for _ in range(3):
            LeadFactory(company=owner.company)
        meta = client_for(owner).get(url(owner.company.id, "?per_page=2")).json()["meta"]
        assert meta == {"page": 1, "per_page": 2, "total_count": 3, "total_pages": 2, "total_count_capped": False}

    def test_capped_over_it_and_later_pages_still_served(self, client_for, owner, settings):
        settings.LEAD_LIST_COUNT_CAP = 3
        leads = [LeadFactory(company=owner.company, last_name="García") for _ in range(5)]
        client = client_for(owner)
        body = client.get(url(owner.company.id, "?per_page=2&q=garcia")).json()
        assert body["meta"] == {
            "page": 1,
            "per_page": 2,
            "total_count": 3,
            "total_pages": 2,
            "total_count_capped": True,
        }
        page3 = client.get(url(owner.company.id, "?per_page=2&page=3&q=garcia")).json()
        assert [lead["id"] for lead in page3["leads"]] == [leads[0].id]  # the oldest, past the cap
        assert client.get(url(owner.company.id, "?per_page=2&page=4")).json()["leads"] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL only")
def test_postgresql_folds_the_word_at_plan_time_and_can_use_the_trigram_index(owner):
    from django.db.models import Value

    from campaigns.search import Fold

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # an empty table: the planner would rather scan it
    plan = LeadSearch.objects.filter(document__contains=Fold(Value("GARCÍA"))).explain()
    assert "leadsearch_document_trgm" in plan
    assert "'%garcia%'" in plan  # leadsy_fold is IMMUTABLE: evaluated once, a constant the index can use
