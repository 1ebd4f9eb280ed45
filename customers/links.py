"""The secret id in a customer's link. Plain Python: the settings (Sentry) import it before apps load."""

from __future__ import annotations

import hashlib
import secrets

# The secret part of a customer's link, defined once for the model, the URLs, the API,
# the legacy import and the Sentry scrubber. New ids are 24 random bytes (192 bits) as
# 32 URL-safe characters. Ids imported from the Flask app keep whatever length they had,
# so any stored id is 1 to 64 such characters; an id chosen through the API must be at
# least 16, to stay hard to guess.
OBFUSCATED_ID_BYTES = 24
LINK_ID_MAX_LENGTH = 64
LINK_ID_CHOSEN_MIN_LENGTH = 16
LINK_ID_CHARS = "[A-Za-z0-9_-]"
LINK_ID_PATTERN = f"{LINK_ID_CHARS}{{1,{LINK_ID_MAX_LENGTH}}}"
LINK_ID_CHOSEN_PATTERN = f"^{LINK_ID_CHARS}{{{LINK_ID_CHOSEN_MIN_LENGTH},{LINK_ID_MAX_LENGTH}}}$"


def new_obfuscated_id() -> str:
    return secrets.token_urlsafe(OBFUSCATED_ID_BYTES)


def link_path(link_id: str) -> str:
    """The customer's page: `/<link id>`, the path the old app gave out and customers keep (README, "Customer URLs")."""
    return f"/{link_id}"


def link_fingerprint(link_id: str) -> str:
    """A one-way name for a link id: what a job records of the link it was made for, and
    (its first characters) what log lines carry instead of the link itself."""
    return hashlib.sha256(link_id.encode()).hexdigest()
