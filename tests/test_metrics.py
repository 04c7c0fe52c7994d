"""The pieces of issue 18 §1–§2 that need no running stack: bounded bexio families, one metric per
observed event, structured fields in both log formats. The scripted sessions are in
``tests/scenarios/test_metrics.py`` and ``tests/scenarios/test_interaction_logs.py``."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client import CollectorRegistry

from bexio.observe import BexioCall, endpoint_family, report, watch
from bxhours.logs import JsonFormatter, RedactingFilter, TextFormatter, register_secret
from bxhours.metrics import Metrics


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/2.0/contact", "contact"),
        ("/2.0/contact/1234", "contact"),
        ("/2.0/contact/search", "contact/search"),
        ("/2.0/kb_invoice/42/pdf", "kb_invoice"),
        ("/2.0/kb_invoice/42/issue", "kb_invoice"),
        ("/3.0/users/7", "users"),
        ("/3.0/banking/accounts", "banking/accounts"),
        ("/4.0/payroll/employees/0b4c7a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "payroll/employees"),
        ("/realms/bexio/protocol/openid-connect/userinfo", "auth"),
        ("/2.0/Contact%20Drop", "other"),
        ("/etc/passwd", "other"),
        ("/2.0/a/b/c/d", "other"),
        ("", "other"),
    ],
)
def test_endpoint_families_collapse_ids_and_stay_bounded(path: str, family: str) -> None:
    assert endpoint_family(path) == family


def test_a_watched_call_counts_once_and_sets_the_rate_limit_left() -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    unwatch = watch(metrics)
    try:
        report(BexioCall("GET", "contact", "200", 0.02, "general", 977))
        report(BexioCall("GET", "contact", "429", 0.01, "general", None))
    finally:
        unwatch()
    report(BexioCall("GET", "contact", "200", 0.02, "general", 1))  # not watched any more
    sample = metrics.registry.get_sample_value
    assert sample("bxhours_bexio_calls_total", {"family": "contact", "method": "GET", "status": "200"}) == 1
    assert sample("bxhours_bexio_calls_total", {"family": "contact", "method": "GET", "status": "429"}) == 1
    assert sample("bxhours_bexio_call_seconds_count", {"family": "contact", "method": "GET"}) == 2
    assert sample("bxhours_bexio_ratelimit_remaining", {"route": "general"}) == 977


def _record(**fields: object) -> logging.LogRecord:
    logger = logging.getLogger("bxhours.test.fields")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "job finished", (), None, extra=fields)
    RedactingFilter().filter(record)
    return record


def test_fields_are_key_value_in_text_and_keys_in_json() -> None:
    record = _record(
        kind="import.full", tenant=3, outcome="done", ms=12.5, error="a b", request=None, ok=True
    )
    text = TextFormatter().format(record)
    assert text.endswith('job finished kind=import.full tenant=3 outcome=done ms=12.5 error="a b" ok=true')
    payload = json.loads(JsonFormatter().format(record))
    assert payload["kind"] == "import.full" and payload["tenant"] == 3 and payload["ms"] == 12.5
    assert payload["request"] is None and payload["message"] == "job finished"


def test_fields_are_redacted_like_messages() -> None:
    register_secret("s3cr3t-in-a-field")
    record = _record(error="bexio said s3cr3t-in-a-field and Bearer abc.def")
    for formatted in (TextFormatter().format(record), JsonFormatter().format(record)):
        assert "s3cr3t-in-a-field" not in formatted and "abc.def" not in formatted


def test_a_record_without_fields_reads_as_before() -> None:
    text = TextFormatter().format(_record())
    assert text.endswith("INFO    bxhours.test.fields: job finished")
