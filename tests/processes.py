"""Running `bxhours` as a real process in tests: command, environment, free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from bxhours.fakes.slack_api import FakeSlack
from storage.crypto import generate_key

BXHOURS = [sys.executable, "-m", "bxhours.cli"]


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(BXHOURS + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def base_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BEXIO_", "BXHOURS_", "DATABASE_"))
    }
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    return base_env(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET="cli-test-signing-secret",
        SLACK_API_URL=fake.api_url,
        BXHOURS_ENCRYPTION_KEY=generate_key(),
        **extra,
    )
