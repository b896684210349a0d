from django.db import migrations, models


def mark_reserved_as_flagged(apps, schema_editor):
    # Cells published before this field: a reserved cell is taken as flagged (the conservative
    # reading; complementary suppressions were not flagged, but that was not kept).
    cells = apps.get_model("publications", "PublishedCell")
    cells.objects.filter(suppressed=True).update(flagged=True)


class Migration(migrations.Migration):
    dependencies = [("publications", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="publishedcell",
            name="flagged",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_reserved_as_flagged, migrations.RunPython.noop),
    ]
