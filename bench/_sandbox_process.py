"""Start `bxhours sandbox` in its own process for a benchmark (so its CPU and memory are not ours)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx


@dataclass
class SandboxProcess:
    url: str
    token: str
    process: subprocess.Popen[str]

    def set_faults(self, **settings: object) -> None:
        httpx.post(f"{self.url}/_sandbox/faults", json=settings, timeout=10).raise_for_status()

    def reset_calls(self) -> None:
        httpx.post(f"{self.url}/_sandbox/reset-calls", timeout=10).raise_for_status()


@contextlib.contextmanager
def sandbox_process(seed: str = "large", *extra: str) -> Iterator[SandboxProcess]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bxhours.cli", "sandbox", "--seed", seed, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("=", 1)[1]
        token = process.stdout.readline().strip().split("=", 1)[1]
        yield SandboxProcess(url, token, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
