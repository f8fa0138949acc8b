"""Fixture identities for the fuzzing and load rigs: two tenants, printed with ready-made tokens."""

import json
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework_simplejwt.tokens import RefreshToken

from campaigns.models import Campaign, Lead, Question
from companies import services as company_services
from companies.models import Access, Company, UserAccess

# name → (company key, access level). owner_a and owner_b must never see each other's objects;
# agent_a shares company A with owner_a. Each company's owner comes first: it creates the company.
IDENTITIES = {
    "owner_a": ("A", Access.OWNER),
    "agent_a": ("A", Access.AGENT),
    "owner_b": ("B", Access.OWNER),
}


class Command(BaseCommand):
    help = (
        "Create (or reset) owner_a owning company A, agent_a in A and owner_b owning company B; "
        "print them as JSON with their passwords, fresh JWT access and refresh tokens, and the ids of one "
        "object of each kind in their company (`parameters`, which the fuzzer plugs into paths)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--domain", default="leadsy.test", help="Email domain of the users.")
        parser.add_argument("--password", default=None, help="Password for all three (default: random).")

    @transaction.atomic
    def handle(self, *args, domain, password, **options):
        User = get_user_model()
        password = password or secrets.token_urlsafe(16)
        companies = {}
        result = {}
        for name, (company_key, level) in IDENTITIES.items():
            user, _ = User.objects.get_or_create(
                email=f"{name.replace('_', '-')}@{domain}",
                defaults={"first_name": name, "last_name": "Test", "status": User.Status.ACTIVE},
            )
            user.status = User.Status.ACTIVE
            user.set_password(password)
            user.save()
            if company_key not in companies:
                companies[company_key] = _tenant(owner=user, name=f"Tenant {company_key} ({domain})")
            company = companies[company_key]
            if level != Access.OWNER:
                # A colleague of the owner. Written directly: the consent rules for joining (an
                # invitation, accepted) are the API's business; these are fixtures for the rigs.
                UserAccess.objects.update_or_create(
                    user=user,
                    company=company,
                    defaults={"access": Access.objects.get(name=level), "primary": True},
                )
            # Tokens carry a hash of the password (CHECK_REVOKE_TOKEN): mint them after setting it.
            refresh = RefreshToken.for_user(user)
            result[name] = {
                "email": user.email,
                "password": password,
                "user_id": user.id,
                "company_id": company.id,
                "access": level,
                "token": str(refresh.access_token),
                "refresh": str(refresh),
                "parameters": {"user_id": user.id, **_objects_of(company)},
            }
        self.stdout.write(json.dumps(result, indent=2))


def _tenant(*, owner, name: str) -> Company:
    """The owner's tenant, created as the API creates a company (owner access, free plan) the first time."""
    existing = Company.objects.filter(name=name, user_accesses__user=owner).first()
    return existing or company_services.company_create(user=owner, name=name, country="ES")


def _objects_of(company: Company) -> dict[str, int]:
    """One object of each kind in the company, so that requests reach past the 404 of a random id.
    Add a kind here when an app brings new path parameters."""
    campaign = Campaign.objects.get_or_create(company=company, name=f"{company.name} campaign")[0]
    question = Question.objects.get_or_create(
        campaign=campaign, position=1, defaults={"text": "Budget?", "kind": Question.Kind.choices[0][0]}
    )[0]
    lead = Lead.objects.get_or_create(
        company=company, email=f"lead-{company.id}@example.com", defaults={"first_name": "Fuzz", "campaign": campaign}
    )[0]
    return {"company_id": company.id, "campaign_id": campaign.id, "question_id": question.id, "lead_id": lead.id}
