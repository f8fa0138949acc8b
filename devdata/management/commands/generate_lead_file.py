from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.leadgen import write_lead_file


class Command(BaseCommand):
    help = (
        "Write a seeded lead file (CSV, or XLSX when the name ends in .xlsx) with known failures, and "
        "the counts an import must reach in <file>.expected.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Where to write the file (.csv or .xlsx).")
        parser.add_argument("--rows", type=int, default=10_000, help="Data rows (default 10,000).")
        parser.add_argument("--seed", type=int, default=20261128, help="Random seed (same seed, same file).")
        parser.add_argument("--invalid-rate", type=float, default=0.02, help="Share of rows with an invalid email.")
        parser.add_argument("--duplicate-rate", type=float, default=0.01, help="Share of rows repeating an email.")

    def handle(self, *args, path: Path, rows: int, seed: int, invalid_rate: float, duplicate_rate: float, **options):
        if rows < 1:
            raise CommandError("--rows must be 1 or more.")
        expected = write_lead_file(path, rows, seed=seed, invalid_rate=invalid_rate, duplicate_rate=duplicate_rate)
        self.stdout.write(
            f"Wrote {path}: {expected.rows} rows, {expected.imported} importable, "
            f"{expected.invalid} invalid, {expected.duplicates} duplicates."
        )
