"""Which file column feeds which lead field: one rules table, read the way a person reads a header.

Header names are compared folded (case, accents and everything that is not a letter or a digit:
`E-mail 1 - Value` is `email1value`, `Teléfono móvil` is `telefonomovil`). For each lead field
`rules.RULES` lists the names in priority order; when several columns of a file feed one field, per row the first of
them with a value wins and the others are kept in `Lead.extra` (docs/real-exports.md, section 3, is the
research behind the table). An explicit mapping (file column -> lead field) wins over the table, and a
column no name matches is looked at: mostly e-mails (or phones) makes it the e-mail (phone) column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from campaigns.models import LEAD_CONTACT_FIELDS

from .fileformat import UploadRejected, fold, reserved_columns, unique_columns
from .rules import (
    CONTENT_MIN,
    CONTENT_SHARE,
    COURTESY_TITLES,
    EMAIL_VALUE,
    FULL_NAME,
    NEVER,
    NUMBERED_PHONE,
    PHONE_VALUE,
    POSSIBLY,
    RULES,
    TITLE,
)

# The writable contact fields of campaigns.Lead (company, campaign, stage, import_file and extra are
# set by the import itself), in template order.
LEAD_FIELDS = LEAD_CONTACT_FIELDS

# What the CSV template (endpoint 50) offers, one column per field, in LEAD_FIELDS order.
CANONICAL_NAMES = {
    "first_name": "First Name",
    "last_name": "Last Name",
    "email": "Email",
    "phone": "Phone",
    "company_name": "Company",
    "job_title": "Job Title",
    "city": "City",
    "country": "Country",
    "source": "Source",
    "notes": "Notes",
}
TEMPLATE_HEADER: list[str] = [CANONICAL_NAMES[field] for field in LEAD_FIELDS]

_PRIORITY = {field: {fold(name): rank for rank, name in enumerate(names)} for field, names in RULES.items()}
for _field in LEAD_FIELDS:  # the field's own name (`first_name`, `job_title`) is an alias too
    _PRIORITY[_field].setdefault(fold(_field), -1)
_FULL_NAME = {fold(name): rank for rank, name in enumerate(FULL_NAME)}
_TITLE = {fold(name) for name in TITLE}


def field_for(name: str) -> str | None:
    """The lead field a column name feeds by the table (None: extra, or a Title / full-name column)."""
    key = fold(name)
    if key in NEVER:
        return None
    for field_name, ranks in _PRIORITY.items():
        if key in ranks:
            return field_name
    return None


@dataclass(frozen=True)
class ColumnPlan:
    fields: dict[str, str]  # lead field -> its first source column (a DataFrame column of read.iter_chunks)
    extra: list[str]  # source columns kept in Lead.extra (the losers of a priority race included)
    ignored: list[str]  # columns read but not kept, e.g. row_number / error of a re-uploaded error file
    # lead field -> every column that feeds it, in priority order (first non-empty per row wins)
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    matched_by: dict[str, str] = field(default_factory=dict)  # column -> "alias" | "mapping" | "content"
    full_name: tuple[str, ...] = ()  # whole-name columns, split when a row has no first or last name
    phone_labels: dict[str, str] = field(default_factory=dict)  # "Phone N - Value" -> its label column

    def __post_init__(self):
        if not self.sources:
            object.__setattr__(self, "sources", {name: (column,) for name, column in self.fields.items()})

    def field_of(self, column: str) -> str | None:
        """The lead field a column feeds (None: it goes to extra)."""
        for name, columns in self.sources.items():
            if column in columns:
                return name
        if column in self.full_name:
            return "first_name"
        return None


def _resolve_mapping_column(column: str, columns: list[str], header: list[str]) -> str:
    if column in columns:
        return column
    stripped = str(column).strip()
    for name, original in zip(columns, header, strict=True):
        if stripped in (name, original.strip()):
            return name
    folded = [name for name in columns if fold(name) == fold(stripped)]
    if len(folded) == 1:
        return folded[0]
    raise UploadRejected(
        f"The mapping names the column '{column}', which is not in the file's header "
        f"({', '.join(repr(name) for name in columns[:50])}).",
        field="mapping",
    )


def _mapped(mapping, columns: list[str], header: list[str]) -> tuple[dict[str, str], list[str]]:
    """(lead field -> column, ignored columns) of an explicit mapping, or UploadRejected(field="mapping")."""
    if mapping is not None and not isinstance(mapping, dict):
        raise UploadRejected("The mapping must be an object of file column -> lead field.", field="mapping")
    mapping = mapping or {}
    # Checked before any key is resolved: each costs a pass over the header.
    if len(mapping) > len(columns):
        raise UploadRejected(
            f"The mapping names {len(mapping):,} columns; the file has {len(columns):,}.", field="mapping"
        )
    fields: dict[str, str] = {}
    ignored: list[str] = []
    key_of: dict[str, str] = {}
    for column, target in mapping.items():
        name = _resolve_mapping_column(column, columns, header)
        if name in key_of:
            raise UploadRejected(
                f"The mapping names the column '{name}' twice ('{key_of[name]}', '{column}').", field="mapping"
            )
        key_of[name] = column
        if target in (None, ""):
            ignored.append(name)
            continue
        if not isinstance(target, str) or target not in LEAD_FIELDS:
            raise UploadRejected(
                f"The mapping sends '{column}' to '{target}', which is not a lead field "
                f"(one of {', '.join(LEAD_FIELDS)}).",
                field="mapping",
            )
        if target in fields:
            raise UploadRejected(
                f"The mapping sends both '{fields[target]}' and '{column}' to {target}; choose one.",
                field="mapping",
            )
        fields[target] = name
    return fields, ignored


def _filled(values: pd.Series) -> pd.Series:
    return values[values.str.strip() != ""]


def _share(values: pd.Series, pattern: re.Pattern) -> bool:
    values = _filled(values)
    return len(values) >= CONTENT_MIN and values.str.match(pattern).mean() >= CONTENT_SHARE


def _none_alike(values: pd.Series, pattern: re.Pattern) -> bool:
    values = _filled(values)
    return len(values) >= CONTENT_MIN and not values.str.contains(pattern).any()


def _drop_contradicted_aliases(sources: dict, matched_by: dict, sample: pd.DataFrame) -> None:
    """A name is no promise: a column an alias sent to email or phone whose sampled values hold not one
    of its kind (a Spanish "Particular" of Sí/No beside the e-mail) would fail every row it fills, so it
    feeds nothing and goes to extra. Decided on CONTENT_MIN values at least; a mapping is never undone."""
    for target, pattern in POSSIBLY.items():
        contradicted = {
            name for name in sources.get(target, ())
            if matched_by.get(name) == "alias" and name in sample.columns
            and _none_alike(sample[name].head(100), pattern)
        }  # fmt: skip
        if contradicted:
            sources[target] = tuple(name for name in sources[target] if name not in contradicted)
            for name in contradicted:
                del matched_by[name]
            if not sources[target]:
                del sources[target]


def _mostly_courtesy(values: pd.Series) -> bool:
    values = _filled(values)
    return len(values) > 0 and values.map(fold).isin(COURTESY_TITLES).mean() > 0.5


def plan_columns(
    header: list[str], *, mapping: dict[str, str] | None = None, sample: pd.DataFrame | None = None
) -> ColumnPlan:
    """Decide which columns feed which lead field.

    `mapping` maps file column -> lead field; a value of None or "" ignores that column. `sample`: the
    first data rows (`read.iter_chunks`), for the content rules. Raises UploadRejected(field="mapping")
    for a mapping that names an unknown column or field or two columns for one field, and
    UploadRejected(field="file") when nothing gives an email or a phone.
    """
    columns = unique_columns(header)
    ignored = reserved_columns(header)
    mapped, unmapped = _mapped(mapping, columns, header)
    ignored += unmapped
    claimed = set(ignored) | set(mapped.values())
    matched_by = {column: "mapping" for column in mapped.values()}
    keys = {name: fold(original) for name, original in zip(columns, header, strict=True)}

    ranked: dict[str, list[tuple[int, int, str]]] = {}
    full_name: list[tuple[int, str]] = []
    titles: list[str] = []
    open_columns = [name for name in columns if name not in claimed]
    for position, name in enumerate(open_columns):
        key = keys[name]
        if key in NEVER:
            continue
        target = field_for(key)
        if target is not None and target not in mapped:
            ranked.setdefault(target, []).append((_PRIORITY[target][key], position, name))
        elif key in _FULL_NAME:
            full_name.append((_FULL_NAME[key], name))
        elif key in _TITLE:
            titles.append(name)
    sources: dict[str, tuple[str, ...]] = {target: (column,) for target, column in mapped.items()}
    for target, found in ranked.items():
        sources[target] = tuple(name for _, _, name in sorted(found))
        matched_by.update({name: "alias" for name in sources[target]})
    if sample is not None:
        _drop_contradicted_aliases(sources, matched_by, sample)
    for name in titles:
        courtesy = sample is not None and name in sample.columns and _mostly_courtesy(sample[name].head(50))
        if "job_title" not in sources and not courtesy:
            sources["job_title"] = (name,)
            matched_by[name] = "alias"
    full = () if {"first_name", "last_name"} <= set(mapped) else tuple(name for _, name in sorted(full_name))
    matched_by.update({name: "alias" for name in full})

    if sample is not None:
        # A field no name gave: the first unclaimed column whose sampled values are mostly of its kind
        # (also one an alias sent to a text field: the values say otherwise, as Spanish "Contacto").
        for target, pattern in (("email", EMAIL_VALUE), ("phone", PHONE_VALUE)):
            if target in sources:
                continue
            taken = {column for feeding in sources.values() for column in feeding} | set(full)
            for name in open_columns:
                alias_target = field_for(keys[name])
                if alias_target in ("email", "phone") or name not in sample.columns:
                    continue
                if name in taken and alias_target is None:
                    continue
                if _share(sample[name].head(100), pattern):
                    if alias_target is not None:
                        sources[alias_target] = tuple(column for column in sources[alias_target] if column != name)
                        if not sources[alias_target]:
                            del sources[alias_target]
                    sources[target] = (name,)
                    matched_by[name] = "content"
                    break

    phone_labels = {}
    for name in sources.get("phone", ()):
        numbered = NUMBERED_PHONE.fullmatch(keys[name])
        if numbered:
            for label in (f"phone{numbered.group(1)}label", f"phone{numbered.group(1)}type"):
                label_column = next((c for c in columns if keys[c] == label), None)
                if label_column:
                    phone_labels[name] = label_column
                    break

    if "email" not in sources and "phone" not in sources:
        raise UploadRejected(
            "The file has no email or phone column (a lead needs at least one). Columns found: "
            f"{', '.join(repr(name) for name in columns[:30])}. Recognised names include "
            "Email, E-mail, Correo, Correo electrónico, Phone, Telephone, Teléfono, Móvil, Celular; "
            "or send a mapping.",
            field="file",
        )
    ordered = {target: sources[target] for target in LEAD_FIELDS if target in sources}
    feeding = {column for feeding in ordered.values() for column in feeding[:1]}
    extra = [name for name in columns if name not in feeding and name not in ignored]
    return ColumnPlan(
        fields={target: names[0] for target, names in ordered.items()},
        extra=extra,
        ignored=ignored,
        sources=ordered,
        matched_by=matched_by,
        full_name=full,
        phone_labels=phone_labels,
    )
