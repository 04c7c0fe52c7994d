"""No secret ever reaches a log line, in text or JSON format."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bxhours.logs import JsonFormatter, RedactingFilter, redact, register_secret


@pytest.fixture
def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("bxhours.test.redaction")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_known_secret_values_and_token_shapes_are_masked(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    register_secret("s3cr3t-signing-value")
    logger.info("signing with %s", "s3cr3t-signing-value")
    logger.info("calling Slack with xoxb-1234-5678-abcdef")
    logger.info("Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")
    logger.info("POST /bexio/webhook/the-path-token 202")
    logger.info("token call body grant_type=refresh_token&refresh_token=abcd1234&client_secret=xyz")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = stream.getvalue()
    for leaked in ("s3cr3t-signing-value", "xoxb-1234", "eyJhbGciOi", "the-path-token", "abcd1234", "xyz"):
        assert leaked not in text
    assert lines[0]["message"] == "signing with ***"
    assert lines[3]["message"] == "POST /bexio/webhook/*** 202"
    assert {"ts", "level", "logger", "message"} <= set(lines[0])


def test_tracebacks_are_redacted_too(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    try:
        raise RuntimeError("bexio refused Bearer abc.def.ghi-token")
    except RuntimeError:
        logger.exception("call failed")
    record = json.loads(stream.getvalue())
    assert "abc.def.ghi-token" not in record["exception"]
    assert "RuntimeError" in record["exception"]


def test_redact_leaves_ordinary_text_alone() -> None:
    assert redact("Imported 60 contacts in 1.2 s") == "Imported 60 contacts in 1.2 s"
