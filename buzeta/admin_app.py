"""Django's admin app with BuzETA's site as its default; INSTALLED_APPS names it instead of django.contrib.admin.

A module of its own: INSTALLED_APPS imports it before models load, and the site (buzeta.admin_site) needs them.
"""

from django.contrib.admin.apps import AdminConfig


class BuzetaAdminConfig(AdminConfig):
    default_site = "buzeta.admin_site.BuzetaAdminSite"
