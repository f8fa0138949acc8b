"""Which file column feeds which lead field.

Header names are compared after folding case, accents and everything that is not a letter or a digit
(`E-mail`, `e_mail` and `EMAIL` are one name; `Teléfono` is `telefono`), against aliases in English and
Spanish. An explicit mapping (file column -> lead field) wins over the aliases. Columns that feed no
field are kept in `Lead.extra`.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.models import LEAD_CONTACT_FIELDS

from .fileformat import UploadRejected, fold, reserved_columns, unique_columns

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

# Strong aliases name the field unambiguously; weak ones (a bare "Name", "Mobile" beside "Phone")
# only count when no strong alias of the same field is in the file.
STRONG_ALIASES = {
    "first_name": (
        "first_name firstname first given_name givenname forename nombre nombres primer_nombre nombre_de_pila"
    ),
    "last_name": "last_name lastname surname family_name familyname apellido apellidos primer_apellido",
    "email": (
        "email e-mail email_address e-mail_address mail correo correo_electronico correo_e "
        "direccion_de_correo direccion_de_correo_electronico e_mail emails"
    ),
    "phone": (
        "phone phone_number phonenumber telephone telephone_number tel telefono numero_de_telefono "
        "numero_telefono tlf tfno"
    ),
    "company_name": (
        "company company_name companyname organization organisation organization_name business "
        "empresa nombre_empresa nombre_de_la_empresa compania razon_social"
    ),
    "job_title": "job_title jobtitle job position role cargo puesto puesto_de_trabajo",
    "city": "city town ciudad localidad poblacion municipio",
    "country": "country country_code pais codigo_pais",
    "source": "source lead_source origin origen fuente",
    "notes": "notes note comments comment notas nota comentarios observaciones",
}
WEAK_ALIASES = {
    "first_name": "name full_name fullname contact contact_name nombre_completo contacto",
    "phone": "mobile mobile_phone mobile_number cell cell_phone cellphone movil telefono_movil celular whatsapp",
    "job_title": "title titulo",
    "notes": "description descripcion",
    "company_name": "account cuenta",
}


def _alias_table(source: dict[str, str]) -> dict[str, str]:
    return {fold(alias): field for field, aliases in source.items() for alias in aliases.split()}


STRONG = _alias_table(STRONG_ALIASES)
WEAK = _alias_table(WEAK_ALIASES)
_FIELD_BY_NAME = {fold(field): field for field in LEAD_FIELDS}


def field_for(name: str) -> tuple[str | None, int]:
    """(lead field, strength) an alias names: strength 2 strong, 1 weak, 0 none."""
    key = fold(name)
    if key in STRONG:
        return STRONG[key], 2
    if key in _FIELD_BY_NAME:
        return _FIELD_BY_NAME[key], 2
    if key in WEAK:
        return WEAK[key], 1
    return None, 0


@dataclass(frozen=True)
class ColumnPlan:
    fields: dict[str, str]  # lead field -> source column name (a DataFrame column of read.iter_chunks)
    extra: list[str]  # source columns kept in Lead.extra
    ignored: list[str]  # columns read but not kept, e.g. row_number / error of a re-uploaded error file


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


def plan_columns(header: list[str], *, mapping: dict[str, str] | None = None) -> ColumnPlan:
    """Decide which column feeds which lead field.

    `mapping` maps file column -> lead field; a value of None or "" ignores that column. Raises
    UploadRejected(field="mapping") for a mapping that names an unknown column or field or two columns
    for one field, and UploadRejected(field="file") when nothing gives an email or a phone.
    """
    columns = unique_columns(header)
    ignored: list[str] = reserved_columns(header)

    fields: dict[str, str] = {}
    claimed: set[str] = set(ignored)
    if mapping is not None and not isinstance(mapping, dict):
        raise UploadRejected("The mapping must be an object of file column -> lead field.", field="mapping")
    mapping = mapping or {}
    # Checked before any key is resolved: each costs a pass over the header.
    if len(mapping) > len(columns):
        raise UploadRejected(
            f"The mapping names {len(mapping):,} columns; the file has {len(columns):,}.", field="mapping"
        )
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
            claimed.add(name)
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
        claimed.add(name)

    original_of = {name: original.strip() for name, original in zip(columns, header, strict=True)}
    candidates: dict[str, list[tuple[int, str]]] = {}
    for name, original in zip(columns, header, strict=True):
        if name in claimed:
            continue
        field, strength = field_for(original)
        if field and field not in fields:
            candidates.setdefault(field, []).append((strength, name))
    for field, found in candidates.items():
        strongest = max(strength for strength, _ in found)
        winners = [name for strength, name in found if strength == strongest]
        # The same name twice is one column repeated: the first one wins, the others go to extra.
        if len({original_of[name] for name in winners}) > 1:
            raise UploadRejected(
                f"The columns {', '.join(repr(name) for name in winners)} all look like {field}; "
                "send a mapping to say which one to use.",
                field="file",
            )
        fields[field] = winners[0]
        claimed.add(winners[0])

    if "email" not in fields and "phone" not in fields:
        raise UploadRejected(
            "The file has no email or phone column (a lead needs at least one). Columns found: "
            f"{', '.join(repr(name) for name in columns[:30])}. Recognised names include "
            "Email, E-mail, Correo, Correo electrónico, Phone, Telephone, Teléfono, Móvil, Celular; "
            "or send a mapping.",
            field="file",
        )
    ordered = {field: fields[field] for field in LEAD_FIELDS if field in fields}
    extra = [name for name in columns if name not in claimed]
    return ColumnPlan(fields=ordered, extra=extra, ignored=ignored)
