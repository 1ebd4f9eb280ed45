"""gunicorn settings for BuzETA (gunicorn -c gunicorn.conf.py buzeta.wsgi). Environment overrides in caps."""

import multiprocessing
import os

# Sizes that follow from the app's settings (the fetch budget, threads) are read from them, not recomputed.
from buzeta import settings as app_settings

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Pages wait on BuzManager (I/O), so threads per worker pay off.
# gthread, answering what gunicorn refuses by itself (a request line over 8 KB…) in JSON.
worker_class = "buzeta.operations.gunicorn.JsonErrorWorker"
# The longest request line gunicorn reads (its maximum): longer ones get JSON 414 from the worker.
limit_request_line = 8190
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = app_settings.GUNICORN_THREADS
timeout = app_settings.GUNICORN_TIMEOUT
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so slow leaks never add up.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# No link ids, tokens or query strings in access lines (buzeta/log_redaction.py).
logger_class = "buzeta.operations.gunicorn.RedactingLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
# Only the local reverse proxy may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
