import pytest
from django.core.management import call_command

from campaigns.models import Campaign, Lead, Option, Question

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug_on(settings):
    """seed_demo is a development command: it runs with DEBUG on (pytest turns it off)."""
    settings.DEBUG = True


def counts():
    return Campaign.objects.count(), Question.objects.count(), Option.objects.count(), Lead.objects.count()


def test_seed_demo_creates_campaigns_and_leads_once():
    call_command("seed_demo")
    fair = Campaign.objects.get(name="Spring fair 2026")
    assert fair.status == Campaign.Status.ACTIVE
    assert list(fair.questions.values_list("position", flat=True)) == [1, 2, 3]
    assert fair.questions.get(position=1).options.count() == 3
    assert Campaign.objects.get(name="Webinar leads").status == Campaign.Status.DRAFT
    assert Lead.objects.filter(company=fair.company).count() == 20

    before = counts()
    call_command("seed_demo")
    assert counts() == before


def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    from django.core.management import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off") as refused:
        call_command("seed_demo")
    assert refused.value.returncode != 0 and "\n" not in str(refused.value)
    assert counts() == (0, 0, 0, 0)
    call_command("seed_demo", "--force")
    assert Lead.objects.count() == 20
