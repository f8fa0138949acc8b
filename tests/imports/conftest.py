import os

import pytest

from bench.leadgen import write_csv

# Rows of the files the fault tests break mid-import (tests/imports/test_faults.py and the fault tests of
# test_worker.py): 50k in CI's PostgreSQL pass, 200k in `make faults`, as the reliability plan groups R19-R26.
# On the embedded SQLite (a newcomer's `make test`) 20k: still 40 commits of 500 rows, so a kill lands mid-import,
# at about a third of the time (each SQLite commit waits for the disk).
_ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
FAULT_ROWS = int(os.environ.get("FAULT_ROWS", "50000" if _ON_POSTGRESQL else "20000"))


def scaled(seconds: float) -> float:
    """A timeout written for a 20k-row file, stretched in proportion to FAULT_ROWS (never shorter)."""
    return seconds * max(1.0, FAULT_ROWS / 20_000)


@pytest.fixture(autouse=True)
def private_root(request, settings, tmp_path):
    """Import files of each test in their own folder, so a test can see that nothing was stored.
    Tests with a worker process keep the configured folder: the worker reads the files there too."""
    if {"celery_worker", "worker_storage"} & set(request.fixturenames):
        return None
    root = tmp_path / "private"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "leadsy.storage.PrivateFileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def worker_storage():
    """For tests that start their own worker processes: keep the configured private storage."""


@pytest.fixture
def owner(owner):
    """The owner of a company on the Business plan: the tests' files go past the Free plan's 1,000 rows."""
    from billing.services import membership_attach
    from tests.factories import membership

    membership_attach(company=owner.company, membership=membership("Business"))
    return owner


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def lead_csv(tmp_path):
    """`lead_csv(rows)`: a generated lead file and its expected counts."""

    def make(rows: int, name: str = "leads.csv", **options):
        path = tmp_path / name
        return path, write_csv(path, rows, **options)

    return make
