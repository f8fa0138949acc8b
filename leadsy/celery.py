import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsy.settings")

# ContextTask: every task runs with the log context (request id, user, company, import) its publisher had.
app = Celery("leadsy", task_cls="leadsy.logs:ContextTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_broker_folder(sender, **kwargs):
    # kombu's filesystem transport fails when its folder is missing.
    folder = sender.conf.broker_transport_options.get("data_folder_in")
    if folder:
        os.makedirs(folder, exist_ok=True)
