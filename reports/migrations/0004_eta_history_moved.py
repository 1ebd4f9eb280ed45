"""ETA history now lives in its own app (history.0001 took the tables over): forget them here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_job_link_fingerprint"),
        ("history", "0001_from_reports"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="EtaChange"), migrations.DeleteModel(name="OrderEta")],
            database_operations=[],
        ),
    ]
