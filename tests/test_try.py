"""`make try`: `bxhours try up` starts the sandbox, the fake Slack and `bxhours serve` wired together,
and `bxhours try …` acts as a person of the fake workspace and prints what they see.

One `try up` runs as a real process on free ports (the fixed ones may be taken on this machine);
the person's commands go through the CLI entry point, as typed in a second shell.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bxhours.cli import main
from bxhours.fakes.blocks_text import clickables, mrkdwn, render_view
from tests.processes import BXHOURS, base_env, free_port

READY = "bxhours try is ready"
START_TIMEOUT = 60.0


@dataclass
class TryUp:
    process: subprocess.Popen[str]
    sandbox: int
    slack: int
    app: int
    folder: Path
    output: list[str]
    reader: threading.Thread | None = None
    """Collects ``output`` until the process closes its output."""


def _read_until(
    process: subprocess.Popen[str], marker: str, output: list[str], timeout: float
) -> threading.Thread:
    """Collect the output on a thread (a pipe read with select and readline loses buffered lines)."""
    assert process.stdout is not None
    stream = process.stdout
    found = threading.Event()

    def read() -> None:
        for line in stream:
            output.append(line)
            if marker in line:
                found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not found.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            found.wait(0.5)
            break
    if not found.is_set():
        raise AssertionError(f"no {marker!r} from `bxhours try up`:\n{''.join(output)}")
    return reader


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def try_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TryUp]:
    folder = tmp_path_factory.mktemp("try") / ".try"
    sandbox, slack, app = free_port(), free_port(), free_port()
    args = ["try", "up", "--sandbox-port", str(sandbox), "--slack-port", str(slack), "--port", str(app)]
    # Its own process group, so that the test can press Ctrl-C as a terminal does: SIGINT to the
    # whole foreground group, `bxhours serve` included.
    process = subprocess.Popen(
        [*BXHOURS, *args, "--dir", str(folder)],
        cwd=folder.parent,
        env=base_env(PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    running = TryUp(process, sandbox, slack, app, folder, [])
    try:
        running.reader = _read_until(process, READY, running.output, START_TIMEOUT)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _try(capsys: pytest.CaptureFixture[str], up: TryUp, *args: str) -> str:
    capsys.readouterr()
    code = main(["try", args[0], "--slack-port", str(up.slack), *args[1:]])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def test_log_hours_then_the_app_home_shows_them(
    try_up: TryUp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(try_up.folder.parent)  # no .env of the repository
    started = "".join(try_up.output)
    assert "Import from bexio finished" in started
    assert f"bxhours serve  http://127.0.0.1:{try_up.app}" in started
    assert f"export BXHOURS_TRY_SLACK_PORT={try_up.slack}" in started
    assert 'bxhours try log-hours U01ANDREA "2h Website Relaunch 1 / Umsetzung: checkout"' in started

    reply = _try(capsys, try_up, "log-hours", "U01ANDREA", "2h Website Relaunch 1 / Umsetzung: checkout")
    assert "Andrea Keller › /log-hours 2h Website Relaunch 1 / Umsetzung: checkout" in reply
    assert "✓ 2:00 h · Website Relaunch 1 / Umsetzung" in reply
    assert "[Undo]" in reply

    home = _try(capsys, try_up, "home", "U01ANDREA")
    assert "Hi Andrea Keller" in home
    assert "2:00 h · *Website Relaunch 1* / Umsetzung · billable" in home
    assert "_checkout_" in home
    assert "[◀ Previous week]" in home
    assert "bexio ✓ connected" in home


def test_a_choice_is_clicked_from_the_shell(
    try_up: TryUp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(try_up.folder.parent)
    asked = _try(capsys, try_up, "log-hours", "U02MIA", "1h30 yesterday Website Relaunch")
    assert "Several projects match" in asked
    assert "[Website Relaunch 4 · 000004]" in asked
    activity = _try(capsys, try_up, "click", "U02MIA", "Website Relaunch 4")
    assert "presses [Website Relaunch 4 · 000004]" in activity
    stored = _try(capsys, try_up, "click", "U02MIA", "Umsetzung")
    assert "✓ 1:30 h · Website Relaunch 4 / Umsetzung" in stored


def test_unknown_people_and_a_missing_stack_are_one_line(
    try_up: TryUp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(try_up.folder.parent)
    assert main(["try", "home", "--slack-port", str(try_up.slack), "U77NOBODY"]) == 1
    assert "U01ANDREA (Andrea Keller)" in capsys.readouterr().err
    nothing = free_port()
    assert main(["try", "home", "--slack-port", str(nothing), "U01ANDREA"]) == 1
    err = capsys.readouterr().err
    assert "make try" in err
    assert len(err.strip().splitlines()) == 1


def test_ctrl_c_stops_all_three(try_up: TryUp) -> None:
    """Last in this module: it ends the module's `try up`."""
    for port in (try_up.sandbox, try_up.slack, try_up.app):
        assert _listening(port)
    os.killpg(try_up.process.pid, signal.SIGINT)
    assert try_up.process.wait(timeout=30) == 0
    assert try_up.reader is not None
    try_up.reader.join(timeout=5)  # the process exited: its output ends, and so does the reader
    assert any("Stopped." in line for line in try_up.output), "".join(try_up.output)
    for port in (try_up.sandbox, try_up.slack, try_up.app):
        assert not _listening(port)


def test_block_kit_as_text() -> None:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Invoice"},
        "submit": {"type": "plain_text", "text": "Create draft"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Week 49"}},
            {
                "type": "section",
                "block_id": "s",
                "text": {"type": "mrkdwn", "text": "Hi <@U01ANDREA> &amp; <https://x.example|bexio>"},
                "accessory": {
                    "type": "button",
                    "action_id": "a",
                    "text": {"type": "plain_text", "text": "Edit"},
                },
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": ":white_check_mark: done"}]},
            {"type": "divider"},
            {
                "type": "actions",
                "block_id": "nav",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "prev",
                        "text": {"type": "plain_text", "text": "◀ Previous"},
                    },
                    {
                        "type": "overflow",
                        "action_id": "more",
                        "options": [
                            {"text": {"type": "plain_text", "text": "Delete"}, "value": "d"},
                        ],
                    },
                ],
            },
            {
                "type": "input",
                "block_id": "lines",
                "label": {"type": "plain_text", "text": "Services"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "c",
                    "options": [
                        {"text": {"type": "plain_text", "text": "A"}, "value": "a"},
                        {"text": {"type": "plain_text", "text": "B"}, "value": "b"},
                    ],
                    "initial_options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
                },
            },
        ],
    }
    text = render_view(view, {"U01ANDREA": "Andrea Keller"})
    assert text.splitlines() == [
        "┌ Invoice ┐",
        "Week 49",
        "═══════",
        "Hi @Andrea Keller & bexio <https://x.example>   [Edit]",
        "  ✅ done",
        "─" * 60,
        "[◀ Previous]  [⋯ Delete]",
        "Services:",
        "  ☑ A",
        "  ☐ B",
        "[Cancel]  [Create draft]",
    ]
    assert [(c.label, c.action_id) for c in clickables(view["blocks"])] == [
        ("Edit", "a"),
        ("◀ Previous", "prev"),
        ("Delete", "more"),
    ]
    assert mrkdwn("<!date^1700000000^{date}|20 Nov> <#C1|general>") == "20 Nov #general"
