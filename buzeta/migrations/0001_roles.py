from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from buzeta.staff.roles import roles_sync

    roles_sync(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0001_initial"),
        ("statuses", "0001_initial"),
        ("reports", "0001_report_job"),
        ("odata", "0001_cache_and_lease"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
