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
    assert plan == ColumnPlan(fields={"email": "Email"}, extra=["Favourite colour", "Edad"], ignored=[],
                              matched_by={"Email": "alias"})  # fmt: skip


def test_columns_of_one_field_are_ranked_by_the_table_and_the_losers_go_to_extra():
    plan = plan_columns(["Name", "First Name", "Phone", "Mobile", "Business Phone"])
    assert plan.fields == {"first_name": "First Name", "phone": "Mobile"}
    assert plan.sources["phone"] == ("Mobile", "Phone", "Business Phone")
    assert plan.extra == ["Name", "Phone", "Business Phone"]
    only_name = plan_columns(["Mobile", "Name"])
    assert only_name.fields == {"phone": "Mobile"} and only_name.full_name == ("Name",)


def test_the_same_name_twice_is_one_field_fed_in_file_order():
    plan = plan_columns(["Email", "E-mail", "Phone"])
    assert plan.sources["email"] == ("Email", "E-mail") and plan.extra == ["E-mail"]


def test_title_is_the_courtesy_title_beside_a_job_title_column():
    assert plan_columns(["Email", "Title", "Job Title"]).sources["job_title"] == ("Job Title",)
    assert plan_columns(["Email", "Title"]).sources["job_title"] == ("Title",)
    assert "job_title" not in plan_columns(["Email", "Salutation"]).sources


def test_content_decides_a_column_no_name_matches_but_never_on_few_values():
    import pandas as pd

    header = ["Nombre", "Contacto"]
    mails = pd.DataFrame({"Nombre": ["a"] * 6, "Contacto": [f"p{i}@example.com" for i in range(6)]})
    plan = plan_columns(header, sample=mails)
    assert plan.fields["email"] == "Contacto" and plan.matched_by["Contacto"] == "content"
    with pytest.raises(UploadRejected):
        plan_columns(header, sample=mails.head(4))


def test_a_phone_or_email_name_whose_values_hold_none_feeds_nothing():
    """Spanish "Particular" is Outlook's home phone, and in a hand-made sheet a yes/no column: its values
    decide. On fewer than a handful of values, or when a mapping names it, the column keeps its field."""
    import pandas as pd

    header = ["Correo", "Particular", "Teléfono"]
    sample = pd.DataFrame({
        "Correo": [f"p{i}@example.com" for i in range(6)], "Particular": ["Sí", "No"] * 3,
        "Teléfono": ["", "600 000 141", "", "", "", ""],
    })  # fmt: skip
    plan = plan_columns(header, sample=sample)
    assert plan.sources["phone"] == ("Teléfono",) and "Particular" in plan.extra
    assert "Particular" not in plan.matched_by
    phones = sample.assign(Particular=[f"600 000 14{i} ext. 12" for i in range(6)])  # a phone, as people write it
    assert plan_columns(header, sample=phones).sources["phone"] == ("Teléfono", "Particular")
    assert plan_columns(header, sample=sample.head(4)).sources["phone"] == ("Teléfono", "Particular")
    mapped = plan_columns(header, sample=sample, mapping={"Particular": "phone"})
    assert mapped.sources["phone"] == ("Particular",)


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
