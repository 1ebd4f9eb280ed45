from django.apps import AppConfig


class ODataConfig(AppConfig):
    name = "odata"
    verbose_name = "BuzManager data"
