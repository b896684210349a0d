"""Backfill the recorder of reports last written with an API token.

Until now a token write left `recorded_by` empty, which let the token's creator validate
the report themselves despite four eyes. The trail tells which reports those are: their
last change of content (audit entries of creation, modification or reversion that touch
more than status, cancel reason or notes) came from an API batch, whose file name is
"api-<token prefix>-<code>.csv" (the prefix has a fixed length and may hold "-"). The recorder becomes that token's creator (the audit
entry's actor, which is the same person). Reports whose last content change was by the
system itself (no actor) stay without recorder.
"""

from django.db import migrations

NOT_CONTENT = {"status", "cancel_reason", "notes"}
CONTENT_ACTIONS = ("crear", "modificar", "revertir")
PREFIX_LENGTH = 9  # "cs_" and 6 characters of the secret (api.tokens.create_token)


def _token_creators(apps) -> dict[str, int]:
    ApiToken = apps.get_model("api", "ApiToken")
    return dict(ApiToken.objects.values_list("prefix", "created_by_id"))


def _recorder(entries, creators: dict[str, int]) -> int | None:
    for entry in entries:  # newest first
        if entry.action != "crear" and not set(entry.changes or {}) - NOT_CONTENT:
            continue  # a change of status or notes only: not the content's recorder
        filename = entry.batch.filename if entry.batch_id else ""
        if not filename.startswith("api-"):
            return None  # last content written by a person (already set) or the system
        prefix = filename[len("api-") : len("api-") + PREFIX_LENGTH]
        return creators.get(prefix, entry.actor_id)
    return None


def backfill(apps, schema_editor):
    ServiceReport = apps.get_model("records", "ServiceReport")
    AuditEntry = apps.get_model("records", "AuditEntry")
    creators = _token_creators(apps)
    orphans = ServiceReport.objects.filter(recorded_by__isnull=True).values_list("pk", flat=True)
    for pk in orphans.iterator():
        entries = (
            AuditEntry.objects.filter(
                object_type="servicereport", object_id=pk, action__in=CONTENT_ACTIONS
            )
            .select_related("batch")
            .order_by("-id")
        )
        recorder = _recorder(entries, creators)
        if recorder is not None:
            ServiceReport.objects.filter(pk=pk).update(recorded_by_id=recorder)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("records", "0005_month_closings"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
