import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from companies.models import Company
from imports.models import ImportFile
from imports.services import import_file_create, import_file_process
from leadsy.errors import DomainError, InvalidFields


class Command(BaseCommand):
    help = (
        "Import a CSV/TSV/XLSX lead file into a company through the same pipeline as the API: the same "
        "checks, the same chunked processing and the same error file. Runs in this process with a progress "
        "bar by default; --async queues it for a Celery worker instead. Exits non-zero when the file is "
        "refused or the import fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The lead file (.csv, .tsv, .txt or .xlsx).")
        parser.add_argument("--company", type=int, required=True, help="Id of the company the leads belong to.")
        parser.add_argument(
            "--user", help="Email of the user recorded as importer (default: the company's first owner)."
        )
        parser.add_argument("--campaign", type=int, help="Id of a campaign of the company to attach the leads to.")
        parser.add_argument("--stage", type=int, help="Id of the stage new leads start in.")
        parser.add_argument(
            "--on-duplicate", choices=["skip", "update"], default="skip",
            help="skip: report duplicates as failed rows (default); update: fill the existing lead.",
        )  # fmt: skip
        parser.add_argument(
            "--default-country", help="ISO 3166 alpha-2 region for phones without a country code "
            "(default: the company's country).",
        )  # fmt: skip
        parser.add_argument(
            "--mapping", help='JSON object mapping file columns to lead fields, e.g. \'{"Mobile": "phone"}\'.'
        )
        parser.add_argument("--async", dest="run_async", action="store_true", help="Queue for a Celery worker.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs and cron).")

    def handle(self, *args, **opts):
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        company = Company.objects.filter(pk=opts["company"]).first()
        if company is None:
            raise CommandError(f"No company with id {opts['company']}.")
        user = self._importer(company, opts["user"])
        options = {"on_duplicate": opts["on_duplicate"]}
        for key, value in (
            ("campaign_id", opts["campaign"]),
            ("stage_id", opts["stage"]),
            ("default_country", opts["default_country"]),
            ("mapping", self._mapping(opts["mapping"])),
        ):
            if value is not None:
                options[key] = value

        try:
            with path.open("rb") as handle, transaction.atomic():
                import_file = import_file_create(
                    user=user, company=company, file=File(handle, name=path.name), name=path.name,
                    options=options, enqueue=opts["run_async"],
                )  # fmt: skip
        except InvalidFields as error:
            fields = ", ".join(error.errors) or "file"
            raise CommandError(f"{path.name} refused ({fields}): {error.message}") from None
        except DomainError as error:
            raise CommandError(f"{path.name} refused: {error.message}") from None

        self.stdout.write(f"Import {import_file.import_code} created for {company.name} by {user.email}.")
        if opts["run_async"]:
            self.stdout.write("Queued; a Celery worker will process it. Follow it in the admin or the API.")
            return

        bar = None if opts["no_progress"] else tqdm(unit=" rows", dynamic_ncols=True, desc="Importing")

        def progress(current: ImportFile) -> None:
            if bar is None:
                return
            if bar.total != current.total_records:
                bar.total = current.total_records
                bar.unit_scale = current.total_records >= 10_000  # "1.2M rows"; a small file's counts as they are
            bar.update(current.processed_records - bar.n)

        try:
            import_file = import_file_process(import_file_id=import_file.pk, progress=progress)
        finally:
            if bar is not None:
                bar.close()
        self._summary(import_file)

    def _importer(self, company, email):
        users = get_user_model().objects.filter(user_accesses__company=company)
        if email:
            user = users.filter(email__iexact=email).first()
            if user is None:
                raise CommandError(f"{email} holds no access in company {company.pk}.")
            return user
        user = users.filter(user_accesses__access__name="owner").order_by("pk").first()
        if user is None:
            raise CommandError(f"Company {company.pk} has no owner; name the importer with --user.")
        return user

    def _mapping(self, raw):
        if raw is None:
            return None
        try:
            mapping = json.loads(raw)
        except json.JSONDecodeError as error:
            raise CommandError(f"--mapping is not valid JSON: {error}") from None
        if not isinstance(mapping, dict):
            raise CommandError("--mapping must be a JSON object of file column -> lead field.")
        return mapping

    def _summary(self, import_file: ImportFile) -> None:
        imported = import_file.processed_records - import_file.failed_records
        self.stdout.write(
            f"{import_file.get_status_display()}: {import_file.total_records:,} rows, {imported:,} imported, "
            f"{import_file.failed_records:,} failed (of which {import_file.duplicate_records:,} duplicates), "
            f"{import_file.warning_records:,} with warnings ({import_file.success_rate}% success)."
        )
        if import_file.error_file:
            location: str | None
            try:
                location = import_file.error_file.path
            except NotImplementedError:  # remote storage (S3): name the object instead
                location = import_file.error_file.name
            self.stdout.write(f"Error file: {location}")
        if import_file.status != ImportFile.Status.COMPLETED:
            raise CommandError(import_file.error_message or f"Import {import_file.get_status_display()}.")
