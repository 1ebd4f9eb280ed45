"""schemathesis, a real API fuzzer, against the running server: no server errors, and every answer
conforms to the OpenAPI document (status codes, content types, bodies). Time-bounded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from buzeta.api.keys import api_key_create
from customers.models import Customer
from tests.conftest import TEST_ACTOR, Process, app_env, start_gunicorn

pytestmark = [pytest.mark.e2e, pytest.mark.fault, pytest.mark.django_db(transaction=True)]
ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
CHECKS = "all"


def test_schemathesis_finds_no_server_errors_and_no_schema_violations(simulator, tmp_path):
    assert ST, "schemathesis is in requirements.txt; reinstall the virtualenv"
    Customer.objects.create(display_name="Sunset", dd_name="Sunset Shade Solutions")
    _, key = api_key_create(name="fuzzer", actor=TEST_ACTOR, scope="manage")
    env = app_env(
        simulator,
        tmp_path,
        APP_ENV="production",
        DJANGO_SECRET_KEY="fuzz-" + "x" * 50,
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        RATELIMIT_API="100000/m",
        RATELIMIT_API_BAD_KEYS="100000/m",
        LOG_LEVEL="WARNING",
    )
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, check=True)
    # A real worker builds the reports the API asks for, against the simulator.
    worker = Process([sys.executable, "manage.py", "qcluster"], env, tmp_path / "worker.log")
    web, base = start_gunicorn(env, tmp_path / "web.log")
    try:
        result = subprocess.run(
            [
                ST,
                "run",
                f"{base}/api/v1/openapi.json",
                "--header",
                f"X-API-Key: {key}",
                "--checks",
                CHECKS,
                "--max-examples",
                os.environ.get("FUZZ_EXAMPLES", "25"),
                "--max-time",
                os.environ.get("FUZZ_SECONDS", "90"),
                # One worker: schemathesis' schema compiler trips over CPython 3.11's AST checks in threads.
                "--workers",
                "1",
                "--seed",
                "20261202",
                "--request-timeout",
                "20",
                "--warnings",
                "off",
            ],
            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"},
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        web.stop()
        worker.stop()
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    # The status column of the access log (`HTTP/1.1" 500 <bytes>`), not a 500-byte body.
    assert not re.search(r'HTTP/1\.[01]" 500 ', web.output()), web.output()[-3000:]
