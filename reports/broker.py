"""django-q2's ORM broker (the embedded default), told when a task is queued instead of looking every 0.2 s.

The queue is still the database table django-q2 uses; only the waiting changes. A
queued task wakes the cluster's pusher at once (lib.wakeups: NOTIFY on PostgreSQL,
a datagram on SQLite); with nothing queued it still looks every IDLE_LOOK_SECONDS, so a
wake-up lost to a restart delays a task by that at most. Redis, when configured, is
django-q2's own Redis broker, which blocks on the queue and needs none of this.
"""

from __future__ import annotations

from django.utils import timezone
from django_q.brokers.orm import ORM

from lib.wakeups import Listener, listener, wake

QUEUE_CHANNEL = "django-q:queued"
IDLE_LOOK_SECONDS = 1.0


class WakeableOrm(ORM):
    _listener: Listener | None = None

    def enqueue(self, task):
        task_id = super().enqueue(task)
        wake(QUEUE_CHANNEL)
        return task_id

    def dequeue(self):
        if self._listener is None:  # in the pusher's own process, before its first look
            self._listener = listener(QUEUE_CHANNEL, dedicated=True)
        tasks = list(self.get_connection().filter(key=self.list_key, lock__lt=timezone.now())[: self._bulk()])
        if not tasks:
            self._listener.wait(IDLE_LOOK_SECONDS)
            return None
        taken = []
        for task in tasks:
            # Conditional on the lock we read: another cluster faster than us on the same task wins it.
            if self.get_connection().filter(id=task.id, lock=task.lock).update(lock=self.timeout(task)):
                taken.append((task.pk, task.payload))
        return taken

    @staticmethod
    def _bulk() -> int:
        from django_q.conf import Conf

        return Conf.BULK
