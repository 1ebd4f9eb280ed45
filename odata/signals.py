"""What odata tells the floors above it, since it cannot call them.

`live_rows_fetched` is sent after every successful live fetch has been cached, in the
fetching thread, with `target`, `key` (the cache key), `rows` (untagged upstream rows)
and `fetched_at`. Sent with `send_robust`: a receiver that raises is logged, and the
fetch's result stands.
"""

from django.dispatch import Signal

live_rows_fetched = Signal()
