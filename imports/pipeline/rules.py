"""The rules table of column names: which names feed which lead field, in priority order.

The one place these names live: `headers` plans the columns by them and `inspect_csv` / `inspect_xlsx`
find the header row by them (docs/real-exports.md, section 3, is the research behind the table).
"""

import re

from .fileformat import fold

# THE table: lead field -> the column names that feed it, in priority order (the person's own data
# before the company's, mobile before any other number, the first e-mail before the second, business
# address before home: these are B2B leads). Names are folded before comparing.
RULES: dict[str, tuple[str, ...]] = {
    "email": (
        "Email", "Email Address", "E-mail 1 - Value", "Primary Email", "Work Email", "Mail", "Correo",
        "Correo electrónico", "Correo-e", "Dirección de correo", "Dirección de correo electrónico", "Emails",
        "Person - Email", "Person - Email - Work",
        "E-mail 2 Address", "Dirección de correo electrónico 2", "E-mail 2 - Value", "Email 2", "Secondary Email",
        "Personal Email", "Person - Email - Home",
        "E-mail 3 Address", "Dirección del correo electrónico 3", "E-mail 3 - Value", "Email 3", "Tertiary Email",
        "Person - Email - Other",
    ),
    "phone": (
        # mobile
        "Mobile Phone", "Mobile", "Mobile Phone Number", "Mobile Number", "Cell", "Cell Phone", "Móvil",
        "Teléfono móvil", "Número de móvil", "Celular", "Person - Phone - Mobile", "SMS", "WhatsApp",
        # main (Google's numbered phones are ranked by their label, see NUMBERED_PHONE)
        "Phone", "Phone Number", "Telephone", "Telephone Number", "Tel", "Teléfono", "Número de teléfono",
        "Número teléfono", "Tlf", "Tfno", "Primary Phone", "Teléfono principal", "Person - Phone",
        "Phone 1 - Value", "Phone 2 - Value", "Phone 3 - Value", "Phone 4 - Value", "Phone 5 - Value",
        # work
        "Business Phone", "Work Phone", "Work Direct Phone", "Direct Phone", "Office Phone",
        "Person - Phone - Work", "Business Phone 2", "Teléfono del trabajo", "Teléfono del trabajo 2",
        "Teléfono oficina",
        # home
        "Home Phone", "Particular", "Teléfono particular", "Home Phone 2", "Person - Phone - Home",
        "Landline Number", "Teléfono fijo", "Teléfono casa",
        # other
        "Company Main Phone", "Número de centralita de la organización", "Corporate Phone", "Company Phone",
        "Other Phone", "Otro teléfono", "Person - Phone - Other", "Car Phone",
    ),
    "first_name": (
        "First Name", "Given Name", "First", "Forename", "FNAME", "Nombre", "Nombres", "Primer nombre",
        "Nombre de pila", "Person - First name",
    ),
    "last_name": (
        "Last Name", "Family Name", "Surname", "LNAME", "Apellidos", "Apellido", "Primer apellido",
        "Person - Last name",
    ),
    "company_name": (
        "Company", "Company Name", "Organization", "Organisation", "Organización", "Organization Name",
        "Organization 1 - Name", "Account Name", "Business", "Empresa", "Nombre de la empresa", "Nombre empresa",
        "Compañía", "Razón social", "Person - Organization", "Organization - Name", "Company Name for Emails",
        "Account", "Cuenta",
    ),
    "job_title": (
        "Job Title", "Job", "Position", "Role", "Organization Title", "Organization 1 - Title",
        "Person - Job title", "Cargo", "Puesto", "Puesto de trabajo", "Designation", "Occupation", "Profession",
        "Profesión",
    ),
    "city": (
        "City", "Town", "Ciudad", "Localidad", "Población", "Municipio", "Address 1 - City", "Mailing City",
        "Business City", "Ciudad de trabajo", "Home City", "Address 2 - City", "Other City", "Otra ciudad",
        "Company City",
    ),
    "country": (
        "Country", "Country/Region", "Country Code", "País", "País/región", "Código país", "Address 1 - Country",
        "Mailing Country", "Business Country/Region", "Business Country", "País o región del trabajo",
        "País de trabajo", "Home Country/Region", "Home Country", "País o región del domicilio",
        "Address 2 - Country", "Other Country/Region", "Other Country", "Otro país o región", "Company Country",
    ),
    "source": (
        "Source", "Lead Source", "Original Source", "Fuente original de tráfico", "Origin", "Origen", "Fuente",
        "Fuente del lead",
    ),
    "notes": (
        "Notes", "Note", "Comments", "Comment", "Notas", "Nota", "Comentarios", "Observaciones", "Description",
        "Descripción", "Contact Description", "Person - Note",
    ),
}  # fmt: skip
# One column with the whole name: split into first and last name on the rows that have neither.
FULL_NAME = (
    "Name", "Full Name", "Display Name", "Contact Name", "Person - Name", "Nombre completo", "Nombre y apellidos",
    "Lead Name",
)  # fmt: skip
# The job title, unless the file also has a job-title column of RULES (then it is the courtesy title,
# as in Outlook) or most of its values are courtesy titles.
TITLE = ("Title", "Título")
# Courtesy titles (a closed vocabulary of salutations, compared folded): never a job title.
COURTESY_TITLES = frozenset(
    fold(word)
    for word in [
        "Mr",
        "Mrs",
        "Ms",
        "Miss",
        "Mx",
        "Mister",
        "Madam",
        "Dr",
        "Dra",
        "Prof",
        "Sr",
        "Sra",
        "Srta",
        "Señor",
        "Señora",
        "Señorita",
        "D",
        "Don",
        "Dña",
        "Doña",
        "Lic",
        "Lcda",
        "Ing",
    ]
)
# Columns that look like a field but are not (to extra): faxes and pagers, the courtesy-title columns,
# Outlook's "Name (address)" display names, Mailchimp's IP-geolocation country and region.
NEVER = frozenset(
    fold(name)
    for name in (
        "Business Fax", "Home Fax", "Other Fax", "Fax", "Pager", "Assistant's Phone", "Asst. Phone", "Callback",
        "ISDN", "Radio Phone", "Telex", "TTY/TDD Phone", "Salutation", "Name Prefix", "Prefix", "Tratamiento",
        "Saludo", "E-mail Display Name", "E-mail 2 Display Name", "E-mail 3 Display Name", "CC", "Region",
        "Location", "Contact", "Contacto",
        # Spanish Outlook's names of the same (its fax, callback, radio, teletype and display-name columns)
        "Otro fax", "Devolución de llamada", "Radioteléfono", "Número de teletipo",
        "Nombre de pantalla de correo electrónico", "Nombre de pantalla de correo electrónico 2",
        "Nombre de pantalla de correo electrónico 3",
    )
)  # fmt: skip
# Google Contacts' "Phone N - Value" columns say what they are in "Phone N - Label" (or "- Type"): per
# row the mobile wins, then main/unlabelled, work, home, other; a fax or pager is no phone.
NUMBERED_PHONE = re.compile(r"phone(\d+)value")
PHONE_LABEL_RANKS = (("mobile", "cell", "movil", "celular", "iphone"), ("main", "googlevoice"), ("work",),
                     ("home",), ("other",))  # fmt: skip
NOT_A_PHONE_LABEL = ("fax", "pager")
# Content detection looks at this many sampled values, and decides on no fewer than CONTENT_MIN of them.
CONTENT_MIN = 5
CONTENT_SHARE = 0.8
EMAIL_VALUE = re.compile(r"^\s*[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+\s*$")
PHONE_VALUE = re.compile(r"^\s*'?(?:tel:)?\+?[\d\s().\-/]{7,}\s*$")
# What a value must hold to be possibly of the kind its column's name says: a column an alias sends to email
# or phone whose sampled values never do is no such column (headers._drop_contradicted_aliases). Looser
# than the patterns above, so that "600 000 141 ext. 12" or "Ana <ana@example.com>" keep their column.
POSSIBLY = {"email": re.compile(r"@"), "phone": re.compile(r"(?:\D*\d){7}")}


# Every folded name of the table, for scoring header candidates.
KNOWN_NAMES = frozenset(
    {fold(name) for names in RULES.values() for name in names} | {fold(name) for name in (*FULL_NAME, *TITLE)} | NEVER
)


def known_names(cells: list[str]) -> int:
    """How many cells of a row are column names of the table (the header scores highest)."""
    return sum(1 for cell in cells if fold(cell) in KNOWN_NAMES)


# The header is looked for among this many first non-blank rows (preambles, titles, blank rows above it).
HEADER_SEARCH_ROWS = 20
_DATA_CELL = re.compile(r"^\s*(?:[^@\s]+@[^@\s]+\.[^@\s]+|\+?[\d\s().\-]{7,})\s*$")


def header_index(rows: list[list[str]]) -> int | None:
    """Which of the first rows is the header, by score: the row with the most names of the table, the
    first one on a tie; with no known name anywhere, the first row (as before: the header checks then
    judge it). A row of one cell (a title, "Notes:") is a header only when it is a known name or the
    file has one column. None
    when no row can be the header."""
    rows = rows[:HEADER_SEARCH_ROWS]
    widest = max((sum(1 for cell in row if str(cell).strip()) for row in rows), default=0)
    filled = [sum(1 for cell in row if str(cell).strip()) for row in rows]
    # Data follows the header, so the header is at or above the first row that fills the table's width:
    # a data row below it holding one word that happens to be a column name ("CC") is never the header.
    last = next((index for index, count in enumerate(filled) if count == widest), len(rows) - 1)
    candidates = [
        index for index, row in enumerate(rows[: last + 1]) if filled[index] >= min(2, widest) or known_names(row)
    ]
    if not candidates or widest == 0:
        return None
    best, best_score = None, 0
    for index in candidates:
        cells = [str(cell) for cell in rows[index] if str(cell).strip()]
        if any(_DATA_CELL.match(cell) for cell in cells):
            continue
        score = known_names(cells)
        if score > best_score:
            best, best_score = index, score
    if best is not None:
        return best
    first = sum(1 for cell in rows[0] if str(cell).strip())
    # An empty first row is left to the header checks ("its first row is empty"); one cell above
    # several (a title, a notice) with no known name anywhere: no header found.
    return 0 if first != 1 or widest == 1 else None
