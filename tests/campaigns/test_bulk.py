"""`lead_bulk_write`: which rows it inserts and which it reports as duplicates, on SQLite and PostgreSQL."""

import pandas as pd
import pytest
from django.db import transaction

from campaigns.bulk import lead_bulk_write
from campaigns.models import Lead
from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.django_db


def rows(*leads: dict) -> pd.DataFrame:
    """Normalized rows numbered from 2, as the importer passes them."""
    frame = pd.DataFrame([{"first_name": "", "email": None, "phone": None, "extra": "{}", **lead} for lead in leads])
    frame.index = range(2, len(frame) + 2)
    return frame


def write(company, frame, **options):
    with transaction.atomic():
        return lead_bulk_write(company=company, import_file=None, rows=frame, **options)


def test_rows_whose_email_or_phone_the_company_has_are_duplicates_and_the_rest_inserted():
    company, other = CompanyFactory(), CompanyFactory()
    LeadFactory(company=company, email="Ana@Example.com", phone=None)
    LeadFactory(company=company, email=None, phone="+34612345678")
    LeadFactory(company=other, email="new@example.com", phone=None)  # another company's lead: no conflict
    frame = rows(
        {"email": "ana@example.com"},
        {"email": "luis@example.com", "phone": "+34612345678"},
        {"email": "new@example.com", "first_name": "Nueva"},
        {"phone": "+34699999999"},
    )

    result = write(company, frame)

    assert (result.inserted, result.duplicate_row_numbers) == (2, [2, 3])
    assert set(Lead.objects.filter(company=company).values_list("email", "phone")) == {
        ("Ana@Example.com", None),
        (None, "+34612345678"),
        ("new@example.com", None),
        (None, "+34699999999"),
    }
    assert Lead.objects.get(company=company, email="new@example.com").first_name == "Nueva"
