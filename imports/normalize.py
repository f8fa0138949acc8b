"""Turn one chunk of raw cells into lead values and per-row failure reasons, column by column.

Everything that can be done on a whole column (trim, lower-case, the email regex, duplicate
detection) is done with pandas; phones go through `phonenumbers` once per distinct value.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import phonenumbers

from .headers import ColumnPlan

# The lead columns the importer fills (the Lead model's plain text fields).
TEXT_FIELDS = ["first_name", "last_name", "company_name", "job_title", "city", "country", "source", "notes"]
MAX_LENGTHS = {
    "first_name": 150, "last_name": 150, "company_name": 255, "job_title": 255,
    "city": 150, "country": 2, "source": 100,
}  # fmt: skip
LEAD_COLUMNS = ["first_name", "last_name", "email", "phone", *TEXT_FIELDS[2:], "extra"]

# Practical email syntax: one @, a dotted domain of valid labels, no spaces, at most 254 characters.
EMAIL_RE = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)

DUPLICATE = "duplicate"


@dataclass
class NormalizedChunk:
    """`leads`: valid rows (index = spreadsheet row number) with LEAD_COLUMNS; `reasons`: row → reasons."""

    leads: pd.DataFrame
    reasons: dict[int, list[str]]
    rows: int


@lru_cache(maxsize=1_000_000)
def phone_to_e164(value: str, region: str | None) -> str | None:
    """E.164 for a phone as typed, or None when it is not a valid number. Cached: files repeat numbers
    and formats, and parsing is the slowest step of a row."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _column(chunk: pd.DataFrame, source: str | None) -> pd.Series:
    if source is None or source not in chunk.columns:
        return pd.Series("", index=chunk.index, dtype=object)
    column = chunk[source]
    if isinstance(column, pd.DataFrame):  # a header repeated in the file: the first one wins
        column = column.iloc[:, 0]
    # NUL cannot be stored in PostgreSQL text; it is never meaningful in a lead file.
    return column.fillna("").astype(str).str.replace("\x00", "", regex=False).str.strip()


def _add_reason(reasons: dict[int, list[str]], rows, reason: str) -> None:
    for row in rows:
        reasons.setdefault(int(row), []).append(reason)


def normalize_chunk(
    chunk: pd.DataFrame,
    *,
    plan: ColumnPlan,
    region: str | None,
    row_errors: pd.Series | None = None,
    keep_duplicates: bool = False,
) -> NormalizedChunk:
    """`keep_duplicates` (on_duplicate=update): repeated keys inside the chunk stay in `leads`."""
    reasons: dict[int, list[str]] = {}
    out = pd.DataFrame(index=chunk.index)

    email = _column(chunk, plan.fields.get("email")).str.lower()
    has_email = email != ""
    bad_email = has_email & ~(email.str.fullmatch(EMAIL_RE) & (email.str.len() <= 254))
    _add_reason(reasons, email.index[bad_email], "invalid email")

    raw_phone = _column(chunk, plan.fields.get("phone"))
    has_phone = raw_phone != ""
    distinct = raw_phone[has_phone].unique()
    parsed = {value: phone_to_e164(value, region) for value in distinct}
    phone = raw_phone.map(parsed).where(has_phone, None)
    bad_phone = has_phone & phone.isna()
    _add_reason(reasons, raw_phone.index[bad_phone], "invalid phone")

    missing = ~has_email & ~has_phone
    _add_reason(reasons, email.index[missing], "email or phone is required")

    if row_errors is not None:  # rows the reader could not read as they are (e.g. too many cells)
        unreadable = row_errors.fillna("").astype(str)
        for row, reason in unreadable[unreadable != ""].items():
            reasons.setdefault(int(row), []).append(reason)

    for field in TEXT_FIELDS:
        values = _column(chunk, plan.fields.get(field))
        if field == "country":
            values = values.str.upper()
            bad = (values != "") & ~values.str.fullmatch(r"[A-Z]{2}")
            _add_reason(reasons, values.index[bad], "invalid country (expected a 2-letter code)")
        elif field in MAX_LENGTHS:
            too_long = values.str.len() > MAX_LENGTHS[field]
            _add_reason(reasons, values.index[too_long], f"{field} is longer than {MAX_LENGTHS[field]} characters")
        out[field] = values
    out["email"] = email.where(has_email, None)
    out["phone"] = phone
    out["extra"] = _extra(chunk, plan)

    valid = ~out.index.isin(list(reasons))
    leads = out[valid]
    if keep_duplicates:
        return NormalizedChunk(leads=leads, reasons=reasons, rows=len(chunk))
    # Duplicates inside this chunk; earlier chunks are already in the database and caught there.
    in_chunk = (leads["email"].notna() & leads["email"].duplicated()) | (
        leads["phone"].notna() & leads["phone"].duplicated()
    )
    _add_reason(reasons, leads.index[in_chunk], DUPLICATE)
    return NormalizedChunk(leads=leads[~in_chunk], reasons=reasons, rows=len(chunk))


def split_in_chunk_duplicates(leads: pd.DataFrame) -> list[pd.DataFrame]:
    """For on_duplicate=update: rounds of rows with no repeated key inside a round, in file order,
    so that a later row updates the lead an earlier row of the same chunk created."""
    rounds = []
    remaining = leads
    while len(remaining):
        repeated = (remaining["email"].notna() & remaining["email"].duplicated()) | (
            remaining["phone"].notna() & remaining["phone"].duplicated()
        )
        rounds.append(remaining[~repeated])
        remaining = remaining[repeated]
    return rounds


def _extra(chunk: pd.DataFrame, plan: ColumnPlan) -> pd.Series:
    columns = [column for column in plan.extra if column in chunk.columns]
    if not columns:
        return pd.Series("{}", index=chunk.index, dtype=object)
    frame = chunk[columns].fillna("").astype(str)
    return pd.Series(
        [
            json.dumps({k: v for k, v in zip(columns, values, strict=True) if v != ""})
            for values in frame.itertuples(index=False)
        ],
        index=chunk.index,
        dtype=object,
    )
