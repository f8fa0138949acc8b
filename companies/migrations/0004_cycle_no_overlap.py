"""PostgreSQL refuses overlapping cycles of one company, whatever races the service loses.

SQLite has no exclusion constraints: there the service's check (inside a transaction that locks the
company row) is the only guard, which is enough for the single-process setups SQLite serves.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE companies_cycle ADD CONSTRAINT companies_cycle_no_overlap
    EXCLUDE USING gist (company_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&);
"""
DROP = "ALTER TABLE companies_cycle DROP CONSTRAINT IF EXISTS companies_cycle_no_overlap;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("companies", "0003_cycles_and_invitations")]
    operations = [migrations.RunPython(create, drop)]
