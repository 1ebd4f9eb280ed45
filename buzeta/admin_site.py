"""The admin site: every registered model audited, and its shortcuts held to the staff roles.

Installed as the default site (buzeta.admin_app.BuzetaAdminConfig), so `@admin.register` in every
app, and the registrations of django-q2, allauth and Django's own auth, come through here.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404

from audit.admin_mixins import AuditedAdmin
from audit.roles import has_staff_role


class BuzetaAdminSite(admin.AdminSite):
    site_header = "BuzETA administration"
    site_title = "BuzETA"
    index_title = "Customers, statuses and reports"

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdmin):
            admin_class = type(
                admin_class.__name__, (AuditedAdmin, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)

    def get_urls(self):
        urls = super().get_urls()
        for pattern in urls:
            if getattr(pattern, "name", None) == "view_on_site":
                pattern.callback = self.admin_view(view_on_site)
        return urls


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" (/admin/r/…), for staff with a role who may view the object.

    For a customer it leads to the secret link: the same rule as the customer list.
    """
    if not has_staff_role(request.user):
        raise PermissionDenied
    try:
        content_type = ContentType.objects.get_for_id(content_type_id)
    except ContentType.DoesNotExist:
        raise Http404("No such object.") from None
    if not request.user.has_perm(f"{content_type.app_label}.view_{content_type.model}"):
        raise PermissionDenied
    return contenttype_views.shortcut(request, content_type_id, object_id)
