"""Step: which rows can become leads? Each failing row gets its reasons (they go to the error file).

`validate_chunk` turns one chunk of raw cells into lead values (`normalize`) by the column plan
(`headers`): per field the first non-empty of its columns, the first of several values in a cell,
values as people write them. Rows without a usable email or phone fail; a value unusable for an
optional field (a country nobody recognises, a text over its length) only warns: the row is imported
without it and the raw cell kept in `extra`. Duplicates are the next step's business (`dedupe`).
Everything works on whole columns; only `extra` (one JSON object per row) is built row by row.
"""

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from campaigns.models import LEAD_CONTACT_FIELDS, LEAD_MAX_LENGTHS, LEAD_TEXT_FIELDS

from .fileformat import fold
from .headers import ColumnPlan
from .normalize import (
    EMAIL_SEPARATORS,
    PHONE_SEPARATORS_MULTI,
    clean_phones,
    column_text,
    countries_to_alpha2,
    first_value,
    phones_to_e164_with_retry,
)
from .rules import COURTESY_TITLES, NOT_A_PHONE_LABEL, PHONE_LABEL_RANKS

LEAD_COLUMNS = [*LEAD_CONTACT_FIELDS, "extra"]

# Practical email syntax: one @, a dotted domain of valid labels, no spaces, at most 254 characters.
EMAIL_RE = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
# A leading apostrophe people (and formula-neutralizing exporters) put before these characters.
NEUTRALIZED = r"^'(?=[=+\-@\t\r\n\x00])"


@dataclass
class NormalizedChunk:
    """`leads`: valid rows (index = spreadsheet row number) with LEAD_COLUMNS; `reasons`: row → reasons;
    `warnings`: imported row → warnings; `skipped`: rows that are no records (only empty cells)."""

    leads: pd.DataFrame
    reasons: dict[int, list[str]]
    rows: int
    every_row: pd.DataFrame  # every record's lead values, valid or not (for the preview)
    warnings: dict[int, list[str]] = field(default_factory=dict)
    skipped: int = 0


def add_reason(reasons: dict[int, list[str]], rows, reason: str) -> None:
    for row in rows:
        reasons.setdefault(int(row), []).append(reason)


def _first_non_empty(chunk: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    values = column_text(chunk, columns[0] if columns else None)
    for column in columns[1:]:
        empty = values == ""
        if not empty.any():
            break
        values = values.where(~empty, column_text(chunk, column))
    return values


def _ranked_phones(chunk: pd.DataFrame, plan: ColumnPlan, columns: tuple[str, ...]) -> pd.Series:
    """Phone columns in priority order, Google's numbered ones ranked per row by their label."""
    labelled = [column for column in columns if column in plan.phone_labels]
    if not labelled:
        return _first_non_empty(chunk, columns)
    # Per row, the non-empty candidate of lowest rank wins: named columns by their place in the table;
    # the numbered ones all at the place of the first, among themselves by label, then by number.
    values, ranks = [], []
    block = columns.index(labelled[0])
    for position, column in enumerate(columns):
        text = column_text(chunk, column).to_numpy(dtype=object)
        if column in plan.phone_labels:
            label = column_text(chunk, plan.phone_labels[column]).map(fold)
            by_label = pd.Series(1.0, index=chunk.index)  # unlabelled or custom: with "main"
            for offset, names in reversed(list(enumerate(PHONE_LABEL_RANKS))):
                by_label = by_label.where(~label.str.contains("|".join(names), regex=True), float(offset))
            rank = np.array(block + by_label / 10 + position / 1000, dtype=float)
            rank[label.str.contains("|".join(NOT_A_PHONE_LABEL), regex=True).to_numpy(dtype=bool)] = np.inf
        else:
            rank = np.full(len(chunk), float(position if position < block else position + 1))
        values.append(text)
        ranks.append(np.where(text == "", np.inf, rank))
    matrix, order = np.vstack(values), np.vstack(ranks)
    best = order.argmin(axis=0)
    chosen = matrix[best, np.arange(len(chunk))]
    chosen = np.where(np.isinf(order.min(axis=0)), "", chosen)
    return pd.Series(chosen, index=chunk.index, dtype=object).astype(str)


def _split_full_name(full: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'Last, First' when it holds a comma; else the first word and the rest ('Héctor Luján Prats')."""
    comma = full.str.contains(",", regex=False)
    first = full.str.replace(r"\s.*$", "", regex=True)
    last = full.str.replace(r"^\S*\s*", "", regex=True)
    first = first.where(~comma, full.str.replace(r"^[^,]*,", "", regex=True).str.strip())
    last = last.where(~comma, full.str.replace(r",.*$", "", regex=True).str.strip())
    return first, last


def validate_chunk(
    chunk: pd.DataFrame,
    *,
    plan: ColumnPlan,
    region: str | None,
    row_errors: pd.Series | None = None,
) -> NormalizedChunk:
    """`row_errors`: the reader's reason per row ("" for a readable row), e.g. too many cells."""
    rows = len(chunk)
    no_record = no_records(chunk, row_errors)
    if no_record.any():
        chunk = chunk[~no_record]
        row_errors = row_errors[~no_record] if row_errors is not None else None
    reasons: dict[int, list[str]] = {}
    warnings: dict[int, list[str]] = {}
    out = pd.DataFrame(index=chunk.index)
    # Raw cells of a field's first column to keep in extra where its value was changed or dropped.
    kept: dict[str, pd.Series] = {}

    def keep(field_name: str, raw: pd.Series, mask: pd.Series) -> None:
        column = plan.fields.get(field_name)
        if column is None or not mask.any():
            return
        original = column_text(chunk, column)
        mask = mask & (original != "")
        previous = kept.get(column, pd.Series("", index=chunk.index, dtype=object))
        kept[column] = previous.where(~mask, original)

    def warn(rows, text: str) -> None:
        add_reason(warnings, rows, text)

    raw_email = _first_non_empty(chunk, plan.sources.get("email", ()))
    email = first_value(raw_email, EMAIL_SEPARATORS).str.lower()
    keep("email", raw_email, email != raw_email.str.lower())
    has_email = email != ""
    bad_email = has_email & ~(email.str.fullmatch(EMAIL_RE) & (email.str.len() <= 254))
    add_reason(reasons, email.index[bad_email], "invalid email")

    raw_phone = _ranked_phones(chunk, plan, plan.sources.get("phone", ()))
    cleaned = clean_phones(first_value(raw_phone, PHONE_SEPARATORS_MULTI))
    keep("phone", raw_phone, cleaned != raw_phone)
    if plan.phone_labels and "phone" in plan.fields:  # the first column lost to a better-labelled one
        keep("phone", raw_phone, column_text(chunk, plan.fields["phone"]) != raw_phone)
    has_phone = cleaned != ""
    phone = pd.Series(None, index=chunk.index, dtype=object)
    if has_phone.any():
        phone[has_phone] = phones_to_e164_with_retry(cleaned[has_phone], region)
    bad_phone = has_phone & phone.isna()
    add_reason(reasons, raw_phone.index[bad_phone], "invalid phone")

    missing = ~has_email & ~has_phone
    add_reason(reasons, email.index[missing], "email or phone is required")

    if row_errors is not None:  # rows the reader could not read as they are (e.g. too many cells)
        unreadable = row_errors.fillna("").astype(str)
        for row, reason in unreadable[unreadable != ""].items():
            reasons.setdefault(int(row), []).append(reason)

    for field_name in LEAD_TEXT_FIELDS:
        raw = _first_non_empty(chunk, plan.sources.get(field_name, ()))
        values = first_value(raw)
        quoted = values.str.startswith("'")  # the pattern has a lookahead: run per cell only where it can match
        if quoted.any():
            values = values.copy()
            values[quoted] = values[quoted].str.replace(NEUTRALIZED, "", regex=True)
        keep(field_name, raw, values != raw)
        if field_name == "country":
            filled = values != ""
            codes = values.copy()
            if filled.any():
                codes[filled] = countries_to_alpha2(values[filled])
            unknown = filled & (codes == "")
            for text in values[unknown].unique():
                warn(values.index[unknown & (values == text)], f'country "{text}" not recognised: kept in extra')
            keep(field_name, raw, unknown)
            values = codes
        elif field_name == "job_title":
            is_title = values.map({v: fold(v) in COURTESY_TITLES for v in values.unique()}).astype(bool)
            courtesy = (values != "") & is_title
            keep(field_name, raw, courtesy)
            values = values.where(~courtesy, "")
        if field_name in LEAD_MAX_LENGTHS and field_name != "country":
            too_long = values.str.len() > LEAD_MAX_LENGTHS[field_name]
            if too_long.any():
                warn(values.index[too_long], f"{field_name} is longer than {LEAD_MAX_LENGTHS[field_name]} characters")
                keep(field_name, raw, too_long)
                values = values.where(~too_long, "")
        out[field_name] = values
    if plan.full_name:
        full = first_value(_first_non_empty(chunk, plan.full_name))
        nameless = (out["first_name"] == "") & (out["last_name"] == "") & (full != "")
        if nameless.any():
            first, last = _split_full_name(full[nameless])
            out.loc[nameless, "first_name"] = first.str.slice(0, LEAD_MAX_LENGTHS["first_name"])
            out.loc[nameless, "last_name"] = last.str.slice(0, LEAD_MAX_LENGTHS["last_name"])
    out["email"] = email.where(has_email, None)
    out["phone"] = phone
    out["extra"] = _extra(chunk, plan, kept)

    valid = ~out.index.isin(list(reasons))
    warnings = {row: texts for row, texts in warnings.items() if row not in reasons}
    return NormalizedChunk(
        leads=out[valid], reasons=reasons, rows=rows, warnings=warnings, skipped=int(no_record.sum()), every_row=out
    )


def no_records(chunk: pd.DataFrame, row_errors: pd.Series | None) -> pd.Series:
    """Rows that are no contacts and no failures: only empty cells (LinkedIn's `,,,,,,`), or one text in
    the first column of a wider sheet that is no e-mail or phone (a report's footer: "Grand Totals (8
    records)", "Confidential Information - Do Not Distribute")."""
    if chunk.empty:
        return pd.Series(False, index=chunk.index)
    filled = pd.DataFrame({i: chunk.iloc[:, i].str.strip() != "" for i in range(chunk.shape[1])}, index=chunk.index)
    count = filled.sum(axis=1)
    footer = (count == 1) & filled[0] & (chunk.shape[1] >= 3)
    if footer.any():  # the pattern runs cell by cell in Python (`\d` on any text): only on the candidates
        first = chunk.iloc[:, 0][footer].str.strip()
        footer[footer] = ~first.str.contains(r"@|\d{6}", regex=True).to_numpy(dtype=bool)
    unreadable = row_errors.fillna("").astype(str) != "" if row_errors is not None else False
    return ((count == 0) | footer) & ~unreadable


def _extra(chunk: pd.DataFrame, plan: ColumnPlan, kept: dict[str, pd.Series]) -> pd.Series:
    columns = [column for column in plan.extra if column in chunk.columns]
    frame = pd.DataFrame({column: column_text(chunk, column) for column in columns}, index=chunk.index)
    for column, values in kept.items():
        frame[column] = values
    if frame.empty and not len(frame.columns):
        return pd.Series("{}", index=chunk.index, dtype=object)
    keys = [column.replace("\x00", "") for column in frame.columns]
    return pd.Series(
        [
            json.dumps({k: v for k, v in zip(keys, values, strict=True) if v != ""})
            for values in frame.itertuples(index=False)
        ],
        index=chunk.index,
        dtype=object,
    )


def validate_lead_values(values: dict[str, str | None], *, region: str | None) -> tuple[dict, dict[str, list[str]]]:
    """One lead's contact values as a person types them into an edit (endpoint 59), by the rules an
    imported cell goes through: trimmed text, the email lower-cased and checked, the phone cleaned and in
    E.164, the country as ISO alpha-2. An edit has no `extra` to keep an unusable value in, so what only
    warns in an import (an unknown country) is an error here. Returns (values, errors by field)."""
    clean: dict = {}
    errors: dict[str, list[str]] = {}
    for name, raw in values.items():
        text = pd.Series(["" if raw is None else str(raw)], dtype=object).str.replace("\x00", "", regex=False)
        text = text.str.strip()
        if name == "email":
            email = text.str.lower()
            if email[0] and not (EMAIL_RE.fullmatch(email[0]) and len(email[0]) <= 254):
                errors[name] = ["invalid email"]
            clean[name] = email[0] or None
        elif name == "phone":
            cleaned = clean_phones(text)
            phone = phones_to_e164_with_retry(cleaned, region)[0] if cleaned[0] else None
            if cleaned[0] and phone is None:
                errors[name] = ["invalid phone"]
            clean[name] = phone
        elif name == "country":
            code = countries_to_alpha2(text)[0] if text[0] else ""
            if text[0] and not code:
                errors[name] = [f'country "{text[0]}" not recognised']
            clean[name] = code
        else:
            clean[name] = text[0]
            limit = LEAD_MAX_LENGTHS.get(name)
            if limit is not None and len(text[0]) > limit:
                errors[name] = [f"{name} is longer than {limit} characters"]
    return clean, errors
