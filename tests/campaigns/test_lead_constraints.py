"""The database itself refuses duplicate leads (the import pipeline relies on it), on SQLite and PostgreSQL."""

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Lead
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def create(company, **fields):
    with transaction.atomic():
        return Lead.objects.create(company=company, **fields)


def test_same_email_in_another_case_is_refused_in_one_company():
    company = CompanyFactory()
    create(company, email="ana@example.com")
    with pytest.raises(IntegrityError):
        create(company, email="ANA@Example.com")
    assert Lead.objects.filter(company=company).count() == 1


def test_same_phone_is_refused_in_one_company():
    company = CompanyFactory()
    create(company, phone="+34612345678")
    with pytest.raises(IntegrityError):
        create(company, phone="+34612345678", email="other@example.com")
    assert Lead.objects.filter(company=company).count() == 1


def test_the_same_contact_is_accepted_in_another_company():
    first, second = CompanyFactory(), CompanyFactory()
    create(first, email="ana@example.com", phone="+34612345678")
    create(second, email="ANA@example.com", phone="+34612345678")
    assert Lead.objects.count() == 2


def test_leads_without_email_or_phone_do_not_collide():
    company = CompanyFactory()
    create(company, email=None, phone="+34600000001")
    create(company, email=None, phone="+34600000002")
    create(company, email="a@example.com", phone=None)
    create(company, email="b@example.com", phone=None)
    assert Lead.objects.filter(company=company).count() == 4
