import pytest

from imports.pipeline.fileformat import UploadRejected, unique_columns
from imports.pipeline.fileformat import fold as normalize
from imports.pipeline.headers import LEAD_FIELDS, TEMPLATE_HEADER, ColumnPlan, plan_columns


def rejected(header, **kwargs) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        plan_columns(header, **kwargs)
    return caught.value


def test_lead_fields_are_the_writable_lead_columns():
    from campaigns.models import Lead

    concrete = {field.name for field in Lead._meta.concrete_fields}
    assert set(LEAD_FIELDS) <= concrete
    internal = {"id", "company", "campaign", "stage", "import_file", "extra", "created_at", "updated_at"}
    assert concrete - set(LEAD_FIELDS) == internal


def test_template_header_maps_to_every_field():
    plan = plan_columns(TEMPLATE_HEADER)
    assert list(plan.fields) == list(LEAD_FIELDS)
    assert plan.extra == [] and plan.ignored == []


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("First Name", "first_name"),
        ("first_name", "first_name"),
        ("NOMBRE", "first_name"),
        ("Apellidos", "last_name"),
        ("apellido", "last_name"),
        ("E-mail", "email"),
        ("e_mail", "email"),
        ("Correo", "email"),
        ("Correo electrónico", "email"),
        ("Teléfono", "phone"),
        ("Móvil", "phone"),
        ("celular", "phone"),
        ("Empresa", "company_name"),
        ("Cargo", "job_title"),
        ("Ciudad", "city"),
        ("País", "country"),
        ("  job-title ", "job_title"),
        ("Notas", "notes"),
    ],
)
def test_aliases_in_english_and_spanish(name, field):
    plan = plan_columns([name, "Email" if field != "email" else "Phone"])
    assert plan.fields[field] == name.strip()


def test_normalize_folds_case_accents_and_punctuation():
    assert normalize("Correo Electrónico") == normalize("correo_electronico") == "correoelectronico"
    assert normalize("E-MAIL") == "email"


def test_unknown_columns_go_to_extra():
    plan = plan_columns(["Email", "Favourite colour", "Edad"])
    assert plan == ColumnPlan(fields={"email": "Email"}, extra=["Favourite colour", "Edad"], ignored=[])


def test_weak_alias_loses_to_a_strong_one():
    plan = plan_columns(["Name", "First Name", "Phone", "Mobile"])
    assert plan.fields == {"first_name": "First Name", "phone": "Phone"}
    assert plan.extra == ["Name", "Mobile"]
    assert plan_columns(["Mobile", "Name"]).fields == {"first_name": "Name", "phone": "Mobile"}


def test_two_columns_for_one_field_ask_for_a_mapping():
    error = rejected(["Email", "E-mail", "Phone"])
    assert error.status_code == 422
    assert "'Email', 'E-mail' all look like email" in error.message


def test_mapping_wins_over_aliases():
    plan = plan_columns(["Email", "E-mail", "Col X"], mapping={"E-mail": "email", "Col X": "phone"})
    assert plan.fields == {"email": "E-mail", "phone": "Col X"}
    assert plan.extra == ["Email"]


def test_mapping_can_ignore_a_column():
    plan = plan_columns(["Email", "Secret"], mapping={"Secret": None})
    assert plan.ignored == ["Secret"] and plan.extra == []


def test_mapping_matches_header_names_loosely():
    assert plan_columns(["Col X", "Phone"], mapping={"col x": "email"}).fields["email"] == "Col X"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Nope": "email"}, "names the column 'Nope', which is not in the file's header"),
        ({"Col X": "salary"}, "'salary', which is not a lead field"),
        ({"Col X": "email", "Col Y": "email"}, "both 'Col X' and 'Col Y' to email"),
    ],
)
def test_bad_mappings(mapping, message):
    error = rejected(["Col X", "Col Y"], mapping=mapping)
    assert error.field == "mapping"
    assert message in error.message


def test_no_email_or_phone_column():
    error = rejected(["Nombre", "Empresa"])
    assert error.field == "file"
    assert error.message.startswith("The file has no email or phone column")
    assert "'Nombre', 'Empresa'" in error.message


def test_phone_only_and_email_only_are_enough():
    assert plan_columns(["Teléfono"]).fields == {"phone": "Teléfono"}
    assert plan_columns(["Correo"]).fields == {"email": "Correo"}


def test_error_file_columns_are_ignored():
    plan = plan_columns(["Email", "Phone", "row_number", "error"])
    assert plan.ignored == ["row_number", "error"]
    assert plan.extra == []
    # One of the two alone is an ordinary column.
    assert plan_columns(["Email", "error"]).extra == ["error"]


def test_duplicate_and_blank_header_names_are_made_unique():
    assert unique_columns(["Email", "", "Email", "Email.1", " x "]) == ["Email", "column_2", "Email.2", "Email.1", "x"]
    plan = plan_columns(["Email", "Notes", "Notes"])
    assert plan.fields["notes"] == "Notes"
    assert plan.extra == ["Notes.1"]
