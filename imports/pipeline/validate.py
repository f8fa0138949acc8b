"""Step: which rows can become leads? Each failing row gets its reasons (they go to the error file).

`validate_chunk` turns one chunk of raw cells into lead values (`normalize`) and keeps the rows with
a usable email or phone and valid fields; duplicates are the next step's business (`dedupe`).
"""

import json
import re
from dataclasses import dataclass

import pandas as pd

from campaigns.models import LEAD_CONTACT_FIELDS, LEAD_MAX_LENGTHS, LEAD_TEXT_FIELDS

from .headers import ColumnPlan
from .normalize import column_text, phones_to_e164

LEAD_COLUMNS = [*LEAD_CONTACT_FIELDS, "extra"]

# Practical email syntax: one @, a dotted domain of valid labels, no spaces, at most 254 characters.
EMAIL_RE = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


@dataclass
class NormalizedChunk:
    """`leads`: valid rows (index = spreadsheet row number) with LEAD_COLUMNS; `reasons`: row → reasons."""

    leads: pd.DataFrame
    reasons: dict[int, list[str]]
    rows: int


def add_reason(reasons: dict[int, list[str]], rows, reason: str) -> None:
    for row in rows:
        reasons.setdefault(int(row), []).append(reason)


def validate_chunk(
    chunk: pd.DataFrame,
    *,
    plan: ColumnPlan,
    region: str | None,
    row_errors: pd.Series | None = None,
) -> NormalizedChunk:
    """`row_errors`: the reader's reason per row ("" for a readable row), e.g. too many cells."""
    reasons: dict[int, list[str]] = {}
    out = pd.DataFrame(index=chunk.index)

    email = column_text(chunk, plan.fields.get("email")).str.lower()
    has_email = email != ""
    bad_email = has_email & ~(email.str.fullmatch(EMAIL_RE) & (email.str.len() <= 254))
    add_reason(reasons, email.index[bad_email], "invalid email")

    raw_phone = column_text(chunk, plan.fields.get("phone"))
    has_phone = raw_phone != ""
    phone = pd.Series(None, index=chunk.index, dtype=object)
    if has_phone.any():
        phone[has_phone] = phones_to_e164(raw_phone[has_phone], region)
    bad_phone = has_phone & phone.isna()
    add_reason(reasons, raw_phone.index[bad_phone], "invalid phone")

    missing = ~has_email & ~has_phone
    add_reason(reasons, email.index[missing], "email or phone is required")

    if row_errors is not None:  # rows the reader could not read as they are (e.g. too many cells)
        unreadable = row_errors.fillna("").astype(str)
        for row, reason in unreadable[unreadable != ""].items():
            reasons.setdefault(int(row), []).append(reason)

    for field in LEAD_TEXT_FIELDS:
        values = column_text(chunk, plan.fields.get(field))
        if field == "country":
            values = values.str.upper()
            bad = (values != "") & ~values.str.fullmatch(r"[A-Z]{2}")
            add_reason(reasons, values.index[bad], "invalid country (expected a 2-letter code)")
        elif field in LEAD_MAX_LENGTHS:
            too_long = values.str.len() > LEAD_MAX_LENGTHS[field]
            reason = f"{field} is longer than {LEAD_MAX_LENGTHS[field]} characters"
            add_reason(reasons, values.index[too_long], reason)
        out[field] = values
    out["email"] = email.where(has_email, None)
    out["phone"] = phone
    out["extra"] = _extra(chunk, plan)

    valid = ~out.index.isin(list(reasons))
    return NormalizedChunk(leads=out[valid], reasons=reasons, rows=len(chunk))


def _extra(chunk: pd.DataFrame, plan: ColumnPlan) -> pd.Series:
    columns = [column for column in plan.extra if column in chunk.columns]
    if not columns:
        return pd.Series("{}", index=chunk.index, dtype=object)
    frame = pd.DataFrame({column: column_text(chunk, column) for column in columns}, index=chunk.index)
    keys = [column.replace("\x00", "") for column in columns]
    return pd.Series(
        [
            json.dumps({k: v for k, v in zip(keys, values, strict=True) if v != ""})
            for values in frame.itertuples(index=False)
        ],
        index=chunk.index,
        dtype=object,
    )
