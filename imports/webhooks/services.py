"""Webhook state changes: create, delete, test; a finished import's deliveries; each attempt recorded.

Deliveries are created after the import's final commit (the `imports.import_finished` task, queued on
commit by the runner) and sent by `imports.webhook_deliver`, one attempt per task. A failed attempt is
due again after `retry_delay(attempts)`; the beat task `imports.webhook_retry_due` queues the due ones,
and every attempt first claims its delivery with one conditional UPDATE, so two workers never send the
same attempt. Nothing here runs in the request or the import that triggered it.
"""

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from companies.models import Access, UserAccess
from leadsy import metrics
from leadsy.errors import InvalidFields
from leadsy.mail import send_templated_email

from ..models import ImportFile, Webhook, WebhookDelivery, new_webhook_secret
from ..serializers import ImportFileSerializer
from . import sending, signing
from .destinations import Refused, check_url, resolve

logger = logging.getLogger("leadsy.imports")

Status = WebhookDelivery.Status
TEST_EVENT = "webhook.test"
EVENT_OF_STATUS = {ImportFile.Status.COMPLETED: "import.completed", ImportFile.Status.FAILED: "import.failed"}
CLAIM_SECONDS = 60  # an attempt's claim: longer than the attempt's timeout


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: exponential, BASE * 4**(attempts-1)."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** (attempts - 1))


def webhook_create(*, company, user, url: str, events: list[str], secret: str | None = None) -> Webhook:
    """The new webhook; its secret (generated when none is given) is readable only on this object."""
    try:
        check_url(url)
    except Refused as error:
        raise InvalidFields({"url": [str(error)]}) from None
    return Webhook.objects.create(
        company=company,
        created_by=user,
        url=url,
        events=sorted(set(events)),
        secret=secret or new_webhook_secret(),
    )


def webhook_delete(*, webhook: Webhook) -> None:
    webhook.delete()


def _import_data(import_file: ImportFile | None) -> dict | None:
    """The import as the API serializes it (a worker has no request: file links on API_BASE_URL, or paths)."""
    if import_file is None:
        return None
    return dict(ImportFileSerializer(import_file, context={"request": None}).data)


def _new_delivery(webhook: Webhook, *, event: str, import_file: ImportFile | None, data: dict | None):
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=event, import_file=import_file, body="", next_attempt_at=timezone.now()
    )
    delivery.body = signing.event_body(
        delivery_id=delivery.pk, event=event, created_at=delivery.created_at, import_file=data
    )
    delivery.save(update_fields=["body"])
    _deliver_on_commit(delivery.pk)
    return delivery


def _deliver_on_commit(delivery_id: int) -> None:
    # robust: a broker outage must not fail the caller; the beat task picks the pending delivery up.
    transaction.on_commit(lambda: current_app.send_task("imports.webhook_deliver", args=[delivery_id]), robust=True)


@transaction.atomic
def webhook_test(*, webhook: Webhook) -> WebhookDelivery:
    """Endpoint 66: a `webhook.test` event carrying the company's latest import (null when it has none)."""
    latest = ImportFile.objects.filter(company_id=webhook.company_id).select_related("company", "imported_by")
    return _new_delivery(webhook, event=TEST_EVENT, import_file=None, data=_import_data(latest.first()))


def import_finished(*, import_file_id: int) -> list[WebhookDelivery]:
    """After an import's final commit: one delivery per active webhook of its company that takes the
    event, and the importer's email. Safe to run twice for one finish (a redelivered task): the import
    row is locked, and what was done since its `finished_at` is not done again."""
    created: list[WebhookDelivery] = []
    with transaction.atomic():
        locked = ImportFile.objects.select_for_update(of=("self",)).select_related("company", "imported_by")
        import_file = locked.filter(pk=import_file_id).first()
        if import_file is None or import_file.status not in EVENT_OF_STATUS:
            return []
        event = EVENT_OF_STATUS[ImportFile.Status(import_file.status)]
        data = _import_data(import_file)
        finished_at = import_file.finished_at or import_file.created_at
        webhooks = Webhook.objects.select_for_update().filter(company_id=import_file.company_id, is_active=True)
        for webhook in webhooks:
            if event not in webhook.events:
                continue
            done = WebhookDelivery.objects.filter(webhook=webhook, import_file=import_file, event=event)
            if done.filter(created_at__gte=finished_at).exists():
                continue
            created.append(_new_delivery(webhook, event=event, import_file=import_file, data=data))
        notified = import_file.finished_notified_at
        if notified is None or notified < finished_at:  # a retried import that finished again is news again
            _email_importer(import_file, event=event)
            ImportFile.objects.filter(pk=import_file.pk).update(finished_notified_at=timezone.now())
    return created


def _email_importer(import_file: ImportFile, *, event: str) -> None:
    user = import_file.imported_by
    if user is None or not user.email:
        return
    frontend = settings.FRONTEND_URL.rstrip("/")
    link = f"{frontend}/imports/{import_file.import_code}"
    send_templated_email(
        to=user.email,
        template="imports/email/import_finished",
        context={
            "completed": event == "import.completed",
            "file_name": import_file.original_name,
            "company_name": import_file.company.name,
            "total": import_file.total_records,
            "imported": import_file.processed_records - import_file.failed_records,
            "failed": import_file.failed_records,
            "duplicates": import_file.duplicate_records,
            "warnings": import_file.warning_records,
            "error_message": import_file.error_message or "",
            "link": link,
            "error_file_link": f"{link}/error_file" if import_file.error_file else "",
        },
    )


def deliveries_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at")
    return list(due.values_list("id", flat=True)[:limit])


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now).update(
        next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS)
    )
    return WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id) if claimed else None


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of a due delivery (None when it is not due, or another worker took it)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    webhook = delivery.webhook
    if not webhook.is_active and delivery.event != TEST_EVENT:
        return _record(delivery, sending.Outcome(None, "The webhook is disabled."), now=now, final=True)
    try:
        destination = resolve(webhook.url)
    except Refused as error:  # checked before any connection: nothing is sent
        return _record(delivery, sending.Outcome(None, f"Refused: {error}"), now=now, final=True, refused=True)
    body = delivery.body.encode()
    headers = signing.headers(
        secret=webhook.secret,
        body=body,
        timestamp=int(timezone.now().timestamp()),
        event=delivery.event,
        delivery_id=delivery.pk,
    )
    outcome = sending.post(destination, body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    return _record(delivery, outcome, now=now)


def _record(
    delivery: WebhookDelivery, outcome: sending.Outcome, *, now: datetime, final: bool = False, refused: bool = False
) -> WebhookDelivery:
    """The attempt's outcome, at `now` (the attempt's clock: the retry schedule counts from it)."""
    delivery.attempts += 1
    delivery.response_status = outcome.status
    delivery.last_error = outcome.error[:500]
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = Status.SUCCEEDED, now, None
        label = "succeeded"
    elif final or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = Status.FAILED, None
        label = "refused" if refused else "failed"
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        label = "retried"
    delivery.save(
        update_fields=["attempts", "response_status", "last_error", "status", "delivered_at", "next_attempt_at"]
    )
    metrics.webhook_delivered(outcome=label)
    _webhook_health(delivery.webhook, ok=outcome.ok, now=now)
    return delivery


def _webhook_health(webhook: Webhook, *, ok: bool, now: datetime) -> None:
    """A success clears the failure streak (and enables the webhook again); failing for
    WEBHOOK_DISABLE_AFTER_DAYS disables it, fails its pending deliveries and e-mails the owners."""
    hooks = Webhook.objects.filter(pk=webhook.pk)
    if ok:
        hooks.update(failing_since=None, is_active=True, disabled_at=None)
        return
    hooks.filter(failing_since=None).update(failing_since=now)
    limit = now - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    with transaction.atomic():
        disabled = hooks.filter(is_active=True, failing_since__lte=limit).update(is_active=False, disabled_at=now)
        if not disabled:
            return
        webhook.deliveries.filter(Q(status=Status.PENDING) & ~Q(event=TEST_EVENT)).update(
            status=Status.FAILED, next_attempt_at=None, last_error="The webhook was disabled."
        )
        _email_owners(webhook)
    logger.warning("Webhook %s disabled after failing for %s days", webhook.pk, settings.WEBHOOK_DISABLE_AFTER_DAYS)


def _email_owners(webhook: Webhook) -> None:
    owners = UserAccess.objects.filter(company_id=webhook.company_id, access__name=Access.OWNER).select_related("user")
    days = settings.WEBHOOK_DISABLE_AFTER_DAYS
    for access in owners:
        send_templated_email(
            to=access.user.email,
            template="imports/email/webhook_disabled",
            context={
                "url": webhook.url,
                "company_name": webhook.company.name,
                "days": days,
                "link": f"{settings.FRONTEND_URL.rstrip('/')}/companies/{webhook.company_id}/webhooks",
            },
        )
