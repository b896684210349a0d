"""Indexes for the back office's report list at national scale (millions of reports).

A search by code is a "contains" (`code__icontains`, UPPER(code) LIKE '%…%'): on PostgreSQL
a trigram index (pg_trgm, a trusted extension: the database's owner may create it) finds the
matches without reading every report; SQLite reads them all, as before. The list's year
filter reads its years from (center, end date) instead of the whole table.
"""

from django.db import migrations, models

TRIGRAM_INDEX = "report_code_trgm"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON records_servicereport "
        "USING gin (UPPER(code::text) gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("records", "0009_created_by_label")]

    operations = [
        migrations.RunPython(create_trigram_index, drop_trigram_index),
        migrations.AddIndex(
            model_name="servicereport",
            index=models.Index(fields=["center", "end_date"], name="report_center_end_date"),
        ),
    ]
