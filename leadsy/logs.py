"""Log lines an operator can follow from a client's request to the worker lines of the import it queued.

Every line carries the context of the work it belongs to: `request_id` (the client's `X-Request-ID`, or one
made here, and returned in the response header), then `user_id`, `company_id` and `import_code` where known.
The context lives in a contextvar: the web binds it per request (`RequestContextMiddleware`, and the JWT
authentication binds the user), Celery carries it in the task message's headers (`before_task_publish`) and
the worker binds it again around each task (`task_prerun`), so the import's own code only adds what it knows
(`bind(import_code=..., company_id=...)`).

`LOG_FORMAT=json` writes one JSON object a line (python-json-logger: a formatter only, the stdlib loggers stay);
`text`, the default for `make run`, writes the same fields after the message.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections import OrderedDict

from celery import Task, signals
from celery.worker.request import Request
from pythonjsonlogger.json import JsonFormatter

FIELDS = ("request_id", "task_id", "user_id", "company_id", "import_code")
HEADER = "leadsy_log_context"  # the task message header that carries the context
# A client's id is echoed into our logs and headers: keep it short and plain, or make our own.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("leadsy_log_context", default=None)
request_logger = logging.getLogger("leadsy.request")


def current() -> dict:
    return dict(_context.get() or {})


def bind(**values) -> None:
    """Add fields to the context of every later line of this request or task (None values are skipped)."""
    _context.set({**current(), **{key: value for key, value in values.items() if value is not None}})


def _replace(context: dict | None) -> contextvars.Token:
    return _context.set(dict(context) if context else None)


class ContextFilter(logging.Filter):
    """Copies the context onto each record (as attributes: the JSON formatter writes them as keys).

    Celery's main process logs "Task … received" (and the pool "… succeeded") outside any task's context;
    those records carry the task id in `record.data`, and the context of that task is looked up by it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        data = getattr(record, "data", None)
        if not context and isinstance(data, dict) and data.get("id") in _task_contexts:
            context = _task_contexts[data["id"]]
        for key, value in context.items():
            if getattr(record, key, None) is None:
                setattr(record, key, value)
        return True


class TextFormatter(logging.Formatter):
    """`make run`'s human format, with the context fields after the message when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{key}={getattr(record, key)}" for key in FIELDS if getattr(record, key, None) is not None)
        return f"{line} [{fields}]" if fields else line


def formatters() -> dict:
    """The `formatters` section of LOGGING: `json` and `text`."""
    return {
        "json": {
            "()": JsonFormatter,
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
        "text": {"()": TextFormatter, "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    }


# --- Web ----------------------------------------------------------------------------------------------
class RequestContextMiddleware:
    """Binds a request id for the request's lines, returns it as `X-Request-ID`, and writes one line per
    request (method, path, status, duration): the line that ties a client's failing request to the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
        token = _replace({"request_id": request_id})
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)  # DRF sets the authenticated user on the Django request too
            if user is not None and user.is_authenticated:
                bind(user_id=user.pk)
            level = logging.ERROR if response.status_code >= 500 else logging.INFO
            if 400 <= response.status_code < 500:
                level = logging.WARNING
            request_logger.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _context.reset(token)


# --- Celery -------------------------------------------------------------------------------------------
# The worker's main process writes "Task … received" before any signal fires, outside every task's context:
# the request object (built first) remembers its task's context by id for the filter. Bounded: a worker runs
# for weeks.
_task_contexts: OrderedDict[str, dict] = OrderedDict()
_TASK_CONTEXTS_KEPT = 1000


def _carried(headers: dict | None) -> dict:
    carried = (headers or {}).get(HEADER) or {}
    return {key: value for key, value in carried.items() if key in FIELDS}


class ContextRequest(Request):
    """The worker's request for every task (`ContextTask.Request`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        context = {**_carried(self.request_dict), "task_id": self.id}
        _task_contexts[self.id] = context
        while len(_task_contexts) > _TASK_CONTEXTS_KEPT:
            _task_contexts.popitem(last=False)


class ContextTask(Task):
    """The base of every task (`Celery(task_cls=...)`): its worker requests remember the carried context."""

    Request = "leadsy.logs:ContextRequest"


@signals.before_task_publish.connect
def _carry_context(headers=None, **kwargs) -> None:
    context = {key: value for key, value in current().items() if key != "task_id"}
    if headers is not None and context:
        headers[HEADER] = context


_task_tokens: dict[str, contextvars.Token] = {}


@signals.task_prerun.connect
def _bind_task_context(task_id=None, task=None, **kwargs) -> None:
    carried = getattr(task.request, HEADER, None)
    _task_tokens[task_id] = _replace({**_carried({HEADER: carried}), "task_id": task_id})


@signals.task_postrun.connect
def _unbind_task_context(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _context.reset(token)
        except ValueError:  # set in another context (a thread pool): start clean instead
            _context.set(None)
