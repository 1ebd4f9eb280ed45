"""The test suite's settings: the product's own (buzeta/settings.py), with what every test wants.

Processes the tests start (gunicorn, qcluster, make run) run on buzeta.settings, as the product does;
what a single test needs it sets with pytest-django's `settings` fixture.
"""

from buzeta.settings import *  # noqa: F403 - the product's settings, then the test-wide changes below

# Unit tests talk to a host that only `responses` answers, never the real BuzManager.
BUZ_ACCOUNTS = {
    "DD": {"url": "https://buz.test/reports/DESDR", "username": "dd-user", "password": "dd-pass"},
    "CBR": {"url": "https://buz.test/reports/WATSO", "username": "cbr-user", "password": "cbr-pass"},
}
BUZ_BLACKOUT = None
# Rate limits have their own tests; elsewhere hundreds of requests from one IP would trip them.
RATELIMIT_ENABLE = False
# Every view written at once, and no page reuse: tests see each change immediately.
VIEW_COUNT_FLUSH_SECONDS = 0
REPORT_PAGE_CACHE_SECONDS = 0
REPORT_MEMO_LINES = 0
CACHE_ROWS_MEMO_LINES = 0
FORECAST_MEMO_SECONDS = 0
# Real hashers are slow on purpose; tests only need them to work.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
