from django.db import models


class ApiKeyQuerySet(models.QuerySet):
    def usable(self) -> "ApiKeyQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key for the JSON API. Only its SHA-256 is stored; the key is shown once, when made.

    Its scope says what it may do: `read` (reports, jobs, statuses, ETA changes) or `manage`
    (also customers and their links, and refreshing statuses from BuzManager).
    """

    class Scope(models.TextChoices):
        READ = "read", "read: reports, jobs, statuses, ETA changes"
        MANAGE = "manage", "manage: also customers, their links and status refreshes"

    name = models.CharField(max_length=100, unique=True, help_text="Who or what uses it, e.g. chat-bot.")
    prefix = models.CharField(max_length=16, unique=True, editable=False, help_text="The key's public first part.")
    key_hash = models.CharField(max_length=64, editable=False)
    # Keys made before scopes could do everything: they stay `manage` (the migration's default).
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.MANAGE)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.scope})"

    @property
    def may_manage(self) -> bool:
        return self.scope == self.Scope.MANAGE
