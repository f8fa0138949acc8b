"""Every email the product sends: rendered from templates (text + HTML) by a Celery task after commit.

`send_templated_email(to=, template=, context=)` is the one way to send one. `template` names three
templates: `<template>_subject.txt`, `<template>.txt` and `<template>.html`. The context travels in the
task message, so it must be JSON (ids, strings, links): the worker renders what the request decided,
and a request never waits for SMTP.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

EMAIL_TASK = "leadsy.send_email"
EMAIL_QUEUE = "emails"


def send_templated_email(*, to: str, template: str, context: dict) -> None:
    """Queue the email once the current transaction commits (never for a change that was rolled back)."""
    kwargs = {"to": to, "template": template, "context": dict(context)}
    transaction.on_commit(lambda: send_email.apply_async(kwargs=kwargs))


def render_email(*, to: str, template: str, context: dict) -> EmailMultiAlternatives:
    context = {"frontend_url": settings.FRONTEND_URL.rstrip("/"), **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}.txt", context), to=[to])
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


# SMTP down or refusing for a while: try again with backoff (about an hour in all) rather than lose the
# email; a template error is a bug and is not retried.
@shared_task(name=EMAIL_TASK, autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=1800, max_retries=6)
def send_email(*, to: str, template: str, context: dict) -> None:
    render_email(to=to, template=template, context=context).send()
    logger.info("Sent %s", template)
