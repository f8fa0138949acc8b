import pytest

from imports.leadgen import write_csv


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Import files of each test in their own folder, so a test can see that nothing was stored."""
    root = tmp_path / "private"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "leadsy.storage.PrivateFileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def lead_csv(tmp_path):
    """`lead_csv(rows)`: a generated lead file and its expected counts."""

    def make(rows: int, name: str = "leads.csv", **options):
        path = tmp_path / name
        return path, write_csv(path, rows, **options)

    return make
