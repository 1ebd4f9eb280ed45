from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """ETA history: every promised date and each time it moved, recorded from every live fetch.

    Above odata (it listens to its fetches) and customers; below reports and notifications,
    which read it."""

    name = "history"
    verbose_name = "ETA history"

    def ready(self) -> None:
        from history.recording import record_live_rows
        from odata.signals import live_rows_fetched

        live_rows_fetched.connect(record_live_rows, dispatch_uid="history-eta-recording")
