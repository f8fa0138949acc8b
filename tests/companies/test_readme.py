from pathlib import Path

from companies.access import PERMISSIONS

README = Path(__file__).resolve().parents[2] / "README.md"
LEVELS = ["owner", "admin", "manager", "agent"]


def test_readme_permission_table_matches_the_code():
    rows = {}
    for line in README.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`") and cells[0].strip("`") in PERMISSIONS:
            rows[cells[0].strip("`")] = frozenset(level for level, mark in zip(LEVELS, cells[1:], strict=True) if mark)
    assert rows == dict(PERMISSIONS)
