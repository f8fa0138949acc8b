from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from billing import services as billing_services
from billing.models import Membership
from billing.plans import ensure_plans
from billing.selectors import current_membership
from companies.models import Access, Company, UserAccess

DEMO_EMAIL = "demo@leadsy.local"
DEMO_PASSWORD = "leadsy-demo-2026"  # noqa: S105 - the published demo login
DEMO_COMPANY = "Demo Company"


class Command(BaseCommand):
    help = "Create the demo user and company (idempotent) and print the demo login."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            email=DEMO_EMAIL,
            defaults={
                "first_name": "Demo",
                "last_name": "User",
                "status": User.Status.ACTIVE,
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        company = Company.objects.filter(name=DEMO_COMPANY, user_accesses__user=user).first()
        if company is None:
            company = Company.objects.create(name=DEMO_COMPANY, country="ES")
            UserAccess.objects.create(
                user=user,
                company=company,
                access=Access.objects.get(name=Access.OWNER),
                primary=not user.user_accesses.filter(primary=True).exists(),
            )
        billing_services.subscribe_free(company=company)
        ensure_plans()
        pro = Membership.objects.get(name="Pro")
        if current_membership(company=company) != pro:  # the demo shows a paid plan's limits
            billing_services.membership_attach(company=company, membership=pro)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD} (also an admin at /admin/); company id {company.id}"
            )
        )
