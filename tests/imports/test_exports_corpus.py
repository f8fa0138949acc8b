"""The real-exports corpus (tests/fixtures/exports, docs/real-exports.md) is exactly what its scripts
write, and its expectations are well-formed.

The importer's tests for issue 15 compare against these files: a hand edit, an editor or git converting
line endings or re-encoding a file, or a typo in an expectation would make them test the wrong thing.
"""

import importlib
import json
import re
import sys
from pathlib import Path

import phonenumbers
import pytest

from campaigns.models import Lead

EXPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
EXPECTATIONS = sorted(EXPORTS.glob("*.expected.json"))
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16le": b"\xff\xfe"}
CODECS = {"utf-8": "utf-8", "utf-16le": "utf-16-le", "windows-1252": "cp1252"}


def _scripts():
    if str(EXPORTS) not in sys.path:
        sys.path.insert(0, str(EXPORTS))
    return (importlib.import_module(name) for name in ("_corpus", "make_csv", "make_xlsx"))


def test_the_fixtures_are_the_bytes_their_scripts_write(tmp_path, monkeypatch):
    corpus, make_csv, make_xlsx = _scripts()
    out = tmp_path / "exports"
    out.mkdir()
    monkeypatch.setattr(corpus, "OUT", out)
    make_csv.main()
    make_xlsx.main()

    written = sorted(path.name for path in out.iterdir())
    committed = sorted(
        path.name for path in EXPORTS.iterdir() if path.suffix in (".csv", ".xlsx") or path.name.endswith(".json")
    )
    assert written == [name for name in committed if name != "aliases.json"]
    changed = [name for name in written if (out / name).read_bytes() != (EXPORTS / name).read_bytes()]
    assert changed == []


def test_the_lead_fields_of_the_corpus_are_those_of_the_model():
    corpus, _, _ = _scripts()
    writable = [f.name for f in Lead._meta.concrete_fields if f.name in corpus.LEAD_FIELDS]
    assert tuple(writable) == corpus.LEAD_FIELDS


@pytest.mark.parametrize("path", EXPECTATIONS, ids=lambda path: path.name)
def test_an_expectation_describes_its_file_and_leads_the_model_can_hold(path):
    expected = json.loads(path.read_text(encoding="utf-8"))
    fmt = expected["file_format"]
    data = (EXPORTS / expected["fixture"]).read_bytes()
    if fmt["kind"] == "csv":
        if fmt["bom"]:
            assert data.startswith(BOMS[fmt["encoding"]])
        else:
            assert not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
        text = data.decode(CODECS[fmt["encoding"]]).removeprefix("\ufeff")
        ending = {"CRLF": "\r\n", "LF": "\n"}[fmt["line_ending"]]
        lines = text.split(ending)
        header = lines[fmt["header_row"] - 1]
        assert "\n" not in header and header.count(fmt["delimiter"]) >= 1
        if ending == "\n":
            assert "\r\n" not in text
    else:
        assert data.startswith(b"PK\x03\x04")

    rows = expected["rows"]
    assert expected["total_records"] == len(rows)
    first = expected["first_row"]
    assert first == expected["header_row"] + 1 or (first == 2 and fmt["header_row"] == 2)  # after Excel's sep= line
    numbers = sorted([*map(int, rows), *expected.get("skipped_rows", [])])
    assert numbers == list(range(first, first + len(numbers)))
    fields = _lead_fields()
    for number, row in rows.items():
        if "invalid" in row:
            assert set(row) == {"invalid"} and row["invalid"], number
            continue
        lead = row["lead"]
        assert tuple(lead) == tuple(fields), number
        assert lead["email"] or lead["phone"], number
        if lead["email"] is not None:
            assert lead["email"] == lead["email"].strip().lower() and "@" in lead["email"], number
        if lead["phone"] is not None:
            assert phonenumbers.is_valid_number(phonenumbers.parse(lead["phone"])), number
            assert lead["phone"] == phonenumbers.format_number(
                phonenumbers.parse(lead["phone"]), phonenumbers.PhoneNumberFormat.E164
            ), number
        assert re.fullmatch(r"(|[A-Z]{2})", lead["country"]), number
        for name, max_length in fields.items():
            if max_length and lead[name] is not None:
                assert len(lead[name]) <= max_length, (number, name)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in row["extra_contains"].items()), number
        assert all(isinstance(text, str) and text for text in row["warnings"]), number


def _lead_fields() -> dict[str, int | None]:
    corpus, _, _ = _scripts()
    return {name: Lead._meta.get_field(name).max_length for name in corpus.LEAD_FIELDS}
