"""Public identifiers: 12 random lower-case letters and digits, the form Statuspage uses."""

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits


def new_public_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))
