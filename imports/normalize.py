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
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

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


# Only these separators (all phonenumbers punctuation) are removed on the fast path.
PHONE_SEPARATORS = r"[\s().\-/]"
TYPE_DESCS = (
    "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
    "personal_number", "voip", "pager", "uan", "voicemail",
)  # fmt: skip


@dataclass(frozen=True)
class RegionRule:
    """What `phonenumbers.parse` + `is_valid_number` accept for a region, as one regex over the national
    digits, for the numbers where parse would not strip or reinterpret anything."""

    country_code: str
    valid: re.Pattern
    reinterpreted: re.Pattern | None  # digits parse would treat specially (national or international prefix)


def _lengths(lengths) -> str | None:
    lengths = [n for n in lengths if n > 0]
    return "|".join(rf"\d{{{n}}}" for n in lengths) if lengths else None


@lru_cache(maxsize=512)
def region_rule(region: str | None) -> RegionRule | None:
    metadata = PhoneMetadata.metadata_for_region(region) if region else None
    if metadata is None or metadata.general_desc is None or not metadata.general_desc.national_number_pattern:
        return None
    general = metadata.general_desc
    general_lengths = _lengths(general.possible_length)
    types = []
    for name in TYPE_DESCS:
        desc = getattr(metadata, name)
        if desc is None or not desc.national_number_pattern:
            continue
        lengths = _lengths(desc.possible_length) if desc.possible_length else general_lengths
        if lengths is None:
            continue
        types.append(rf"(?=(?:{lengths})$)(?:{desc.national_number_pattern})")
    if not types or general_lengths is None:
        return None
    valid = re.compile(rf"(?=(?:{general_lengths})$)(?=(?:{general.national_number_pattern})$)(?:{'|'.join(types)})")
    prefixes = [
        p for p in (metadata.national_prefix_for_parsing, metadata.national_prefix, metadata.international_prefix) if p
    ]
    reinterpreted = re.compile("|".join(f"(?:{p})" for p in prefixes)) if prefixes else None
    return RegionRule(str(metadata.country_code), valid, reinterpreted)


def _single_region_rule(country_code: str) -> RegionRule | None:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(int(country_code), ())
    return region_rule(regions[0]) if len(regions) == 1 else None


def _confirmed(national: pd.Series, rule: RegionRule) -> pd.Series:
    ok = national.str.fullmatch(rule.valid).fillna(False).astype(bool)
    if rule.reinterpreted is not None:
        ok &= ~national.str.match(rule.reinterpreted).fillna(False).astype(bool)
    return ok


def phones_to_e164(raw: pd.Series, region: str | None) -> pd.Series:
    """E.164 (or None when invalid) for non-empty phone cells, as `phone_to_e164` would give.

    Fast path, vectorized: plain digits (optionally `+`, spaces, dots, dashes, brackets) whose national
    part fully matches one of the region's number types and that parse would not strip or reinterpret
    are valid as `+<country code><digits>`. Anything else goes through phonenumbers (cached).
    """
    result = pd.Series(None, index=raw.index, dtype=object)
    cleaned = raw.str.replace(PHONE_SEPARATORS, "", regex=True)
    plain = cleaned.str.fullmatch(r"\+?\d{2,20}").fillna(False).astype(bool)
    done = pd.Series(False, index=raw.index)

    international = plain & cleaned.str.startswith("+")
    digits = cleaned[international].str[1:]
    if len(digits):
        codes = {str(code) for code in COUNTRY_CODE_TO_REGION_CODE}
        code = pd.Series(None, index=digits.index, dtype=object)
        for size in (3, 2, 1):  # country codes are prefix-free
            prefix = digits.str[:size]
            code = code.where(~prefix.isin(codes), prefix)
        for country_code in code.dropna().unique():
            rule = _single_region_rule(country_code)
            if rule is None:
                continue
            rows = code.index[code == country_code]
            national = digits[rows].str[len(country_code) :]
            ok = _confirmed(national, rule)
            result[ok.index[ok]] = "+" + digits[ok.index[ok]]
            done[ok.index[ok]] = True

    rule = region_rule(region.upper()) if region else None
    national = plain & ~cleaned.str.startswith("+")
    if rule is not None and national.any():
        local = cleaned[national]
        ok = _confirmed(local, rule)
        result[ok.index[ok]] = "+" + rule.country_code + local[ok.index[ok]]
        done[ok.index[ok]] = True

    rest = raw[~done]
    if len(rest):
        parsed = {value: phone_to_e164(value, region) for value in rest.unique()}
        result[rest.index] = rest.map(parsed)
    return result.astype(object).where(result.notna(), None)


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
    phone = pd.Series(None, index=chunk.index, dtype=object)
    if has_phone.any():
        phone[has_phone] = phones_to_e164(raw_phone[has_phone], region)
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
    frame = pd.DataFrame({column: _column(chunk, column) for column in columns}, index=chunk.index)
    keys = [column.replace("\x00", "") for column in columns]
    return pd.Series(
        [
            json.dumps({k: v for k, v in zip(keys, values, strict=True) if v != ""})
            for values in frame.itertuples(index=False)
        ],
        index=chunk.index,
        dtype=object,
    )
