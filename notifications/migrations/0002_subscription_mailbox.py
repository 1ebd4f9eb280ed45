from django.db import migrations, models


def fill_mailboxes(apps, schema_editor):
    from notifications.models import mailbox_of

    Subscription = apps.get_model("notifications", "Subscription")
    for subscription in Subscription.objects.only("pk", "email"):
        Subscription.objects.filter(pk=subscription.pk).update(mailbox=mailbox_of(subscription.email))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="mailbox",
            field=models.CharField(default="", editable=False, max_length=254),
            preserve_default=False,
        ),
        migrations.RunPython(fill_mailboxes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscription",
            name="mailbox",
            field=models.CharField(
                db_index=True,
                editable=False,
                help_text="The address without +tags, lower-cased (caps).",
                max_length=254,
            ),
        ),
    ]
