"""Indexes for the back office's report list at national scale (millions of reports).

A search by code is a "contains" (`code__icontains`, UPPER(code) LIKE '%…%'): on PostgreSQL
a trigram index (pg_trgm, a trusted extension: the database's owner may create it) finds the
matches without reading every report; SQLite reads them all, as before. The list's year
filter reads its years from (center, end date) instead of the whole table.

On PostgreSQL both are built CONCURRENTLY, outside a transaction: imports and validations go
on while they are built (a minute or so at 3.4M reports) instead of waiting for them.
"""

from django.db import migrations, models

TRIGRAM_INDEX = "report_code_trgm"
YEARS_INDEX = models.Index(fields=["center", "end_date"], name="report_center_end_date")


def create_indexes(apps, schema_editor):
    model = apps.get_model("records", "ServiceReport")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(model, YEARS_INDEX)
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY {TRIGRAM_INDEX} ON records_servicereport "
        "USING gin (UPPER(code::text) gin_trgm_ops)"
    )
    schema_editor.add_index(model, YEARS_INDEX, concurrently=True)


def drop_indexes(apps, schema_editor):
    model = apps.get_model("records", "ServiceReport")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(model, YEARS_INDEX)
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {TRIGRAM_INDEX}")
    schema_editor.remove_index(model, YEARS_INDEX, concurrently=True)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("records", "0009_created_by_label")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_indexes, drop_indexes)],
            state_operations=[migrations.AddIndex(model_name="servicereport", index=YEARS_INDEX)],
        ),
    ]
