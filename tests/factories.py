"""factory_boy factories shared by every app's tests."""

import factory
from django.contrib.auth import get_user_model

from campaigns.models import Campaign, Lead, Stage
from companies.models import Access, Company, UserAccess

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    status = "active"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    country = "ES"


def access(name: str) -> Access:
    """Reference data is seeded by migrations; get_or_create survives transactional test flushes."""
    return Access.objects.get_or_create(name=name)[0]


def stage(name: str = "New") -> Stage:
    position = ["New", "Contacted", "Qualified", "Won", "Lost"].index(name) + 1
    return Stage.objects.get_or_create(name=name, defaults={"position": position})[0]


class UserAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserAccess

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    access = factory.LazyFunction(lambda: access(Access.OWNER))
    primary = False


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company = factory.SubFactory(CompanyFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")


# Appended by the campaigns branch (kept at the end so parallel branches merge cleanly).
from campaigns.models import Option, Question  # noqa: E402


class QuestionFactory(factory.django.DjangoModelFactory):
    """A text question at the end of its campaign (give `position` to put it elsewhere)."""

    class Meta:
        model = Question

    campaign = factory.SubFactory(CampaignFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")
    kind = Question.Kind.TEXT
    position = factory.LazyAttribute(lambda o: Question.objects.filter(campaign=o.campaign).count() + 1)


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.SINGLE_CHOICE)
    label = factory.Sequence(lambda n: f"Option {n}")
    value = factory.Sequence(lambda n: f"option-{n}")
    position = factory.LazyAttribute(lambda o: Option.objects.filter(question=o.question).count() + 1)


def membership(name: str):
    """A seeded plan (Free, Pro, Business); like `access()`, it survives transactional test flushes."""
    from billing.models import Membership
    from billing.plans import ensure_plans

    ensure_plans()
    return Membership.objects.get(name=name)
