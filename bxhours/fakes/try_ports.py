"""Where `bxhours try up` listens, shared with the `bxhours try …` commands that talk to it.

Fixed loopback ports, so a second shell finds what the first started; clear of the usual ports of
PostgreSQL (5432), MySQL (3306), Redis (6379), RabbitMQ (5672), MQTT (1883) and NATS (4222). Each
can be moved by a flag or by its environment variable (tests use free ports this way).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

HOST = "127.0.0.1"
SANDBOX_PORT, SLACK_PORT, APP_PORT = 8731, 8732, 8733
PORT_VARIABLES = {
    "sandbox": "BXHOURS_TRY_SANDBOX_PORT",
    "slack": "BXHOURS_TRY_SLACK_PORT",
    "app": "BXHOURS_TRY_PORT",
}
DEFAULT_DIR = ".try"


@dataclass(frozen=True)
class Ports:
    sandbox: int = SANDBOX_PORT
    slack: int = SLACK_PORT
    app: int = APP_PORT

    @property
    def slack_url(self) -> str:
        return f"http://{HOST}:{self.slack}"

    @property
    def app_url(self) -> str:
        return f"http://{HOST}:{self.app}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{HOST}:{self.sandbox}"


def default_port(which: str, environ: Mapping[str, str] = os.environ) -> int:
    """The port `which` ("sandbox", "slack", "app") from its variable, else the fixed default."""
    fixed = {"sandbox": SANDBOX_PORT, "slack": SLACK_PORT, "app": APP_PORT}[which]
    raw = environ.get(PORT_VARIABLES[which], "").strip()
    if not raw:
        return fixed
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ValueError(f"{PORT_VARIABLES[which]}={raw!r} is not a port number (1-65535)")
    return port


SIGNING_SECRET_VARIABLE = "BXHOURS_TRY_SIGNING_SECRET"
_DEFAULT_SIGNING_SECRET = "try-signing-secret-0123456789abcdef"


def signing_secret(environ: Mapping[str, str] = os.environ) -> str:
    """The Slack signing secret `try up` gives `bxhours serve` and `try …` signs with."""
    return environ.get(SIGNING_SECRET_VARIABLE, "").strip() or _DEFAULT_SIGNING_SECRET
