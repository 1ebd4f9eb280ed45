"""ETA history moves from the reports app into its own (its tables, rows and permissions come along)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def content_types_follow(apps, schema_editor):
    """The two models' content types (and so their permissions, admin history and roles) move with them."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("ordereta", "etachange"):
        if not ContentType.objects.filter(app_label="history", model=model).exists():
            ContentType.objects.filter(app_label="reports", model=model).update(app_label="history")


def content_types_go_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="history", model__in=["ordereta", "etachange"]).update(app_label="reports")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_job_link_fingerprint"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # The tables exist (reports.0002): this app takes them over in Django's state only...
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OrderEta",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("instance", models.CharField(max_length=8)),
                        ("ref_no", models.CharField(max_length=64)),
                        (
                            "customer_key",
                            models.CharField(
                                blank=True,
                                help_text="BuzManager's Customer on the order, lower-cased (for matching).",
                                max_length=200,
                            ),
                        ),
                        ("customer_name", models.CharField(blank=True, max_length=200)),
                        (
                            "production_line",
                            models.CharField(blank=True, help_text="The order's most common line.", max_length=120),
                        ),
                        (
                            "seen_by",
                            models.CharField(
                                help_text="The cache key of the fetch that last returned it.", max_length=300
                            ),
                        ),
                        (
                            "first_eta",
                            models.DateField(blank=True, help_text="The first date we ever saw promised.", null=True),
                        ),
                        ("current_eta", models.DateField(blank=True, null=True)),
                        (
                            "previous_eta",
                            models.DateField(blank=True, help_text="The date before the last change.", null=True),
                        ),
                        ("first_seen_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "eta_changed_at",
                            models.DateTimeField(blank=True, help_text="When the ETA last changed.", null=True),
                        ),
                        (
                            "closed_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="When a fetch of its customer stopped returning it (finished or cancelled).",
                                null=True,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reports_ordereta",
                        "verbose_name": "order ETA",
                        "verbose_name_plural": "order ETAs",
                        "ordering": ["instance", "ref_no"],
                        "indexes": [
                            models.Index(fields=["instance", "seen_by"], name="order_eta_seen_by_idx"),
                            models.Index(fields=["instance", "customer_key"], name="order_eta_customer_idx"),
                            models.Index(fields=["closed_at"], name="order_eta_closed_idx"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(fields=("instance", "ref_no"), name="one_eta_record_per_order")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="EtaChange",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("from_eta", models.DateField()),
                        ("to_eta", models.DateField()),
                        ("days", models.IntegerField(help_text="Positive: later; negative: brought forward.")),
                        ("production_line", models.CharField(blank=True, max_length=120)),
                        ("detected_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "order",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="changes",
                                to="history.ordereta",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reports_etachange",
                        "verbose_name": "ETA change",
                        "ordering": ["-detected_at", "-id"],
                        "indexes": [models.Index(fields=["detected_at"], name="eta_change_detected_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
        # ...then gives them this app's names.
        migrations.AlterModelTable(name="ordereta", table=None),
        migrations.AlterModelTable(name="etachange", table=None),
        migrations.RunPython(content_types_follow, content_types_go_back),
    ]
