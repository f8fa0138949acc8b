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


# What Python's `\s` matches, spelled out: Arrow's RE2 (which runs a whole column at once) misses some of
# it, so pandas runs a pattern holding `\s` cell by cell in Python. An explicit class keeps it in Arrow.
SPACES = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
# Only these separators (all phonenumbers punctuation) are removed on the fast path.
PHONE_SEPARATORS = f"[{SPACES}().\\-/]"
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


# Below this many cells phonenumbers (about 30 µs a number) is cheaper than the fast path, which costs
# about 10 ms a call whatever its size (Arrow compiles the region's number patterns, tens of kB, again
# every time): a small file, read in 5% chunks for its progress, would pay that twenty times.
VECTORIZED_MIN_PHONES = 300


def phones_to_e164(raw: pd.Series, region: str | None) -> pd.Series:
    """E.164 (or None when invalid) for non-empty phone cells, as `phone_to_e164` would give.

    Fast path, vectorized: plain digits (optionally `+`, spaces, dots, dashes, brackets) whose national
    part fully matches one of the region's number types and that parse would not strip or reinterpret
    are valid as `+<country code><digits>`. Anything else goes through phonenumbers (cached).
    """
    if len(raw) < VECTORIZED_MIN_PHONES:
        return _parsed(raw, region)
    result = pd.Series(None, index=raw.index, dtype=object)
    cleaned = raw.str.replace(PHONE_SEPARATORS, "", regex=True)
    # ASCII digits (an RE2 class): other digits take phonenumbers' path, which reads them the same.
    plain = cleaned.str.fullmatch(r"\+?[0-9]{2,20}").fillna(False).astype(bool)
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
        result[rest.index] = _parsed(rest, region)
    return result.astype(object).where(result.notna(), None)


def _parsed(raw: pd.Series, region: str | None) -> pd.Series:
    """`phone_to_e164` once per distinct value; None (never NaN) where invalid, as the fast path answers."""
    parsed = raw.map({value: phone_to_e164(value, region) for value in raw.unique()}).astype(object)
    return parsed.where(parsed.notna(), None)


def column_text(chunk: pd.DataFrame, source: str | None) -> pd.Series:
    if source is None or source not in chunk.columns:
        # The reader's string dtype, so the steps after run on Arrow, not cell by cell on Python objects.
        return pd.Series("", index=chunk.index, dtype="str")
    column = chunk[source]
    if isinstance(column, pd.DataFrame):  # a header repeated in the file: the first one wins
        column = column.iloc[:, 0]
    # NUL cannot be stored in PostgreSQL text; it is never meaningful in a lead file.
    return column.fillna("").astype(str).str.replace("\x00", "", regex=False).str.strip()


# --- values as people write them (issue 15) ---------------------------------------------------------

# A cell holding several values: Google joins every kind with " ::: "; people and other tools put two
# e-mails or phones in one cell with ";", "," (and e-mails with spaces, phones with " / ").
ALL_FIELDS_SEPARATOR = " ::: "
EMAIL_SEPARATORS = r"\s*:::\s*|[;,\s]+"
PHONE_SEPARATORS_MULTI = r"\s*:::\s*|\s*[;,]\s*|\s+/\s+"
# An extension after the number ("ext. 204", "x204", "extensión 3", "#12"): dropped from the E.164 value.
PHONE_EXTENSION = r"(?i)\s*(?:,|;)?\s*(?:ext\.?|extension|extensión|ext|x|#)\s*\d{1,6}\s*$"


def first_value(values: pd.Series, separators: str | None = None) -> pd.Series:
    """The first non-empty value of each cell (cells without a separator are returned as they are)."""
    pattern = separators or r"\s*:::\s*"
    # Only cells holding a separator's character are split (found by Arrow, the pattern then per cell).
    maybe = values.str.contains(SEPARATOR_CHARACTERS[pattern], regex=True)
    if not maybe.any():
        return values
    has = maybe.copy()
    has[maybe] = values[maybe].str.contains(pattern, regex=True)
    if not has.any():
        return values
    parts = values[has].str.split(pattern, regex=True)
    firsts = parts.map(lambda cell: next((part.strip() for part in cell if part.strip()), ""))
    result = values.copy()
    result[has] = firsts
    return result


# Per separator pattern of `first_value`, the characters a cell needs to hold one (an RE2 class).
SEPARATOR_CHARACTERS = {
    r"\s*:::\s*": ":::",
    EMAIL_SEPARATORS: f"[:;,{SPACES}]",
    PHONE_SEPARATORS_MULTI: "[:;,/]",
}
# A phone cell of only these characters needs no cleaning (no apostrophe, tel:, extension or ".0").
PLAIN_PHONE = r"^[0-9+ ()\-]*$"


def clean_phones(raw: pd.Series) -> pd.Series:
    """Phone cells as phonenumbers reads them: no Excel apostrophe, no `tel:`, no extension, the
    integer of a numeric cell (`34600000141.0`). Vectorized; plain cells pass untouched."""
    plain = raw.str.match(PLAIN_PHONE).fillna(False).astype(bool)
    if plain.all():
        return raw.str.strip()
    result = raw.copy()
    result[~plain] = _clean_phones(raw[~plain])
    result[plain] = raw[plain].str.strip()
    return result


def _clean_phones(raw: pd.Series) -> pd.Series:
    cleaned = raw.str.replace(r"^'+", "", regex=True).str.replace(r"(?i)^tel:", "", regex=True)
    cleaned = cleaned.str.replace(PHONE_EXTENSION, "", regex=True)
    cleaned = cleaned.str.replace(r"^(\+?\d+)\.0+$", r"\1", regex=True)
    return cleaned.str.strip()


def phones_to_e164_with_retry(raw: pd.Series, region: str | None) -> pd.Series:
    """`phones_to_e164`, then digits with a country code but no `+` (Brevo's SMS, numeric cells) once more
    with a `+` when they are not a number of the default region."""
    result = phones_to_e164(raw, region)
    retry = result.isna()
    if retry.any():
        retry[retry] = raw[retry].str.fullmatch(r"\d{11,15}").fillna(False).astype(bool)
    if retry.any():
        again = phones_to_e164("+" + raw[retry], region)
        result[retry] = again
    return result.astype(object).where(result.notna(), None)


@lru_cache(maxsize=1)
def country_codes() -> dict[str, str]:
    """Folded country name or code -> ISO 3166 alpha-2, from maintained sources: CLDR (babel) names in
    English and Spanish and its alpha-3 aliases, and ISO 3166 official names (pycountry)."""
    import pycountry
    from babel import Locale
    from babel.core import get_global

    from .fileformat import fold

    codes: dict[str, str] = {}
    english = Locale("en").territories
    alpha2 = {code for code in english if isinstance(code, str) and len(code) == 2 and code.isalpha() and code != "ZZ"}
    for country in pycountry.countries:
        if country.alpha_2 in alpha2:
            codes[fold(country.alpha_3)] = country.alpha_2
            for name in (getattr(country, "official_name", None), getattr(country, "common_name", None)):
                if name:
                    codes[fold(name)] = country.alpha_2
    for alias, targets in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and len(targets) == 1 and targets[0] in alpha2:
            codes.setdefault(fold(alias), targets[0])
    for language in ("en", "es"):
        for code, name in Locale(language).territories.items():
            if isinstance(code, str) and code in alpha2 and isinstance(name, str):
                codes[fold(name)] = code
    for code in alpha2:
        codes[fold(code)] = code
    return codes


def countries_to_alpha2(values: pd.Series) -> pd.Series:
    """ISO alpha-2 for non-empty country cells ("" when not recognised); one lookup per distinct value."""
    from .fileformat import fold

    codes = country_codes()
    distinct = {value: codes.get(fold(value), "") for value in values.unique()}
    return values.map(distinct)
