import pytest

from tests.factories import CompanyFactory


@pytest.fixture
def outsider(company_member):
    """Owner of another company: sees nothing of `owner.company`."""
    return company_member(CompanyFactory(), "owner")
