"""Button values only bxhours can write and read: a pending choice rides in its button, sealed.

"Which project did you mean?" offers one button per candidate, and the click must finish the
request the person typed without them typing it again. Slack hands a button's value back as it
was given — but a value is just text in a request, and a request can be forged around it. So the
pending request travels encrypted and authenticated (Fernet, with a key derived from
``BXHOURS_ENCRYPTION_KEY``, so every process of a deployment reads what another wrote), bound to
the person it was offered to and valid for a day. A value that was not sealed by bxhours, was
sealed for someone else or is older is refused; what it carries is checked again by the service's
rules (``core.entry_rules``) when it is stored, like everything else.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bot.views.payload import PayloadError
from core.i18n import N_
from storage.crypto import derive_key

MAX_AGE_SECONDS = 24 * 3600
"""A choice is answered within minutes; a day leaves room for a lunch break, not for a replay."""
_MAX_PLAIN = 64 * 1024
_CONTEXT = b"bxhours pending choices v1"

STALE = N_(
    "That button is out of date or was not made for you, so nothing was logged. Send the command again."
)


class ChoiceSeal:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(derive_key(key, _CONTEXT))

    def seal(self, payload: dict[str, Any], *, user_id: str) -> str:
        plain = json.dumps({"u": user_id, "p": payload}, ensure_ascii=False, separators=(",", ":"))
        return self._fernet.encrypt(zlib.compress(plain.encode(), 9)).decode("ascii")

    def open(self, value: str, *, user_id: str) -> dict[str, Any]:
        """What ``seal`` sealed for ``user_id``; ``PayloadError`` for anything else."""
        try:
            packed = self._fernet.decrypt(value.encode("ascii"), ttl=MAX_AGE_SECONDS)
            inflater = zlib.decompressobj()
            plain = inflater.decompress(packed, _MAX_PLAIN)
            if inflater.unconsumed_tail:
                raise ValueError("too large")
            loaded = json.loads(plain)
        except (InvalidToken, UnicodeError, ValueError, zlib.error) as exc:
            raise PayloadError(
                STALE, f"a choice button that bxhours did not seal: {type(exc).__name__}"
            ) from None
        if (
            not isinstance(loaded, dict)
            or loaded.get("u") != user_id
            or not isinstance(loaded.get("p"), dict)
        ):
            raise PayloadError(STALE, "a choice button sealed for someone else")
        payload: dict[str, Any] = loaded["p"]
        return payload
