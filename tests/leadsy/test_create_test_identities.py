import json
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework_simplejwt.tokens import AccessToken

from companies.models import UserAccess


def _identities() -> dict:
    out = StringIO()
    call_command("create_test_identities", "--password", "a-long-test-password", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_two_tenants_with_working_tokens_and_a_rerun_keeps_them():
    first = _identities()

    assert first["owner_a"]["company_id"] == first["agent_a"]["company_id"] != first["owner_b"]["company_id"]
    for name, identity in first.items():
        assert AccessToken(identity["token"])["user_id"] == str(identity["user_id"])
        membership = UserAccess.objects.get(user_id=identity["user_id"])
        assert (membership.company_id, membership.access.name) == (identity["company_id"], identity["access"]), name

    second = _identities()
    assert {name: i["user_id"] for name, i in second.items()} == {name: i["user_id"] for name, i in first.items()}
    assert UserAccess.objects.count() == 3


@pytest.mark.django_db
def test_every_tenant_has_a_subscription_as_the_api_gives_one():
    from billing.selectors import current_subscription
    from companies.models import Company

    identities = _identities()
    for name in ("owner_a", "owner_b"):
        company = Company.objects.get(pk=identities[name]["company_id"])
        assert current_subscription(company=company) is not None, name
    _identities()  # run again: same tenants, still one subscription each
    assert Company.objects.count() == 2
