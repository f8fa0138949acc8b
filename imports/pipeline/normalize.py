"""Step: cell text to lead values — trimmed text columns, lower-cased emails, phones in E.164.

Phones go through `phonenumbers` once per distinct value, with a vectorized fast path for plain
digits. Everything else is done on whole columns with pandas.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata


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


def column_text(chunk: pd.DataFrame, source: str | None) -> pd.Series:
    if source is None or source not in chunk.columns:
        return pd.Series("", index=chunk.index, dtype=object)
    column = chunk[source]
    if isinstance(column, pd.DataFrame):  # a header repeated in the file: the first one wins
        column = column.iloc[:, 0]
    # NUL cannot be stored in PostgreSQL text; it is never meaningful in a lead file.
    return column.fillna("").astype(str).str.replace("\x00", "", regex=False).str.strip()
