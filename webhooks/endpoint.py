"""``POST /bexio/webhook``: change notifications in, durable jobs out, 202 at once.

Two ways to authenticate, both kept: an HMAC-SHA256 signature over ``<timestamp>.<raw body>`` with
``BEXIO_WEBHOOK_SECRET`` (headers ``X-Bxhours-Timestamp`` and ``X-Bxhours-Signature: sha256=<hex>``;
the timestamp is signed, and more than 5 minutes off is refused as a replay), or the secret as a path
token ``/bexio/webhook/<token>`` for senders that cannot sign. In multi-workspace mode each workspace
has its own secret (admins see it in the App Home): a path token is matched to its workspace, a signed
request names its workspace in ``X-Bxhours-Workspace``; a notification only ever reaches its own
tenant. Secrets are compared in constant time and
the path token is masked in every log line. Anything wrong is a 4xx with a JSON body, and nothing is
queued.

``on_request``, when set, is told how each request ended (``accepted`` with the number of
notifications, or why it was refused) — the metrics count them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Literal, Protocol

from aiohttp import web

from storage.installations import InstallationRepository
from storage.jobs import NewJob
from webhooks.batching import BatchingEnqueuer
from webhooks.notifications import CHANGE_JOB, NotificationError, parse_notifications

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_SKEW_SECONDS = 300
TIMESTAMP_HEADER = "X-Bxhours-Timestamp"
SIGNATURE_HEADER = "X-Bxhours-Signature"
WORKSPACE_HEADER = "X-Bxhours-Workspace"
"""Multi-workspace mode: which workspace a signed request is for (its secret signs it)."""


NOT_CONFIGURED = "the webhook is not configured: set BEXIO_WEBHOOK_SECRET on the server"
MAX_TIMESTAMP_DIGITS = 12
"""Unix seconds until the year 33658: a longer "timestamp" is not one (and 400 digits overflow a float)."""


Outcome = Literal["accepted", "not_configured", "unauthorized", "too_large", "invalid", "unavailable"]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a sender puts in X-Bxhours-Signature."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class TenantSecrets(Protocol):
    """Multi-workspace mode: each tenant has its own webhook secret."""

    async def by_workspace(self, workspace: str) -> tuple[int, str] | None:
        """The tenant and secret of a workspace (Slack team id, or E… for an org-wide install)."""

    async def by_token(self, token: str) -> int | None:
        """The tenant whose secret this path token is (compared in constant time)."""


class StoredTenantSecrets:
    """``TenantSecrets`` from the tenants table (secrets encrypted there), cached for a few seconds."""

    TTL = 10.0

    def __init__(self, installations: InstallationRepository) -> None:
        self.installations = installations
        self._secrets: dict[int, str] = {}
        self._keys: dict[str, int] = {}
        self._loaded = -1e9

    async def _load(self) -> None:
        if time.monotonic() - self._loaded < self.TTL:
            return
        self._secrets = await self.installations.webhook_secrets()
        self._keys = {row.slack_team_id: row.id for row in await self.installations.tenants()}
        self._loaded = time.monotonic()

    async def by_workspace(self, workspace: str) -> tuple[int, str] | None:
        await self._load()
        tenant_id = self._keys.get(workspace)
        secret = self._secrets.get(tenant_id) if tenant_id is not None else None
        return (tenant_id, secret) if tenant_id is not None and secret else None

    async def by_token(self, token: str) -> int | None:
        await self._load()
        found = None
        for tenant_id, secret in self._secrets.items():  # every one compared: no early exit to time
            if hmac.compare_digest(token.encode(), secret.encode()):
                found = tenant_id
        return found


class WebhookEndpoint:
    def __init__(
        self,
        secret: str | None,
        enqueuer: BatchingEnqueuer,
        tenant_id: Callable[[], int],
        *,
        clock: Callable[[], float] = time.time,
        tenant_secrets: TenantSecrets | None = None,
    ) -> None:
        self.secret = secret
        self.enqueuer = enqueuer
        self.tenant_id = tenant_id
        self.clock = clock
        self.tenant_secrets = tenant_secrets
        """Multi-workspace mode: per-tenant secrets; BEXIO_WEBHOOK_SECRET is then ignored."""
        self.on_request: Callable[[Outcome, int], None] | None = None
        """Told how each request ended and how many notifications it brought (``bxhours.observe``)."""

    def _ended(self, outcome: Outcome, response: web.Response, notifications: int = 0) -> web.Response:
        if self.on_request is not None:
            try:
                self.on_request(outcome, notifications)
            except Exception:
                log.warning("the webhook observer failed", exc_info=True)
        return response

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/bexio/webhook", self.signed), web.post("/bexio/webhook/{token}", self.with_token)]

    async def signed(self, request: web.Request) -> web.Response:
        secret, tenant_id = self.secret, None
        if self.tenant_secrets is not None:
            workspace = request.headers.get(WORKSPACE_HEADER, "").strip()
            if not workspace:
                return self._ended(
                    "unauthorized", _error(401, f"missing {WORKSPACE_HEADER} header (the Slack workspace id)")
                )
            found = await self.tenant_secrets.by_workspace(workspace[:64])
            if found is None:
                return self._ended("unauthorized", _error(401, "the signature does not match"))
            tenant_id, secret = found
        if secret is None:
            return self._ended("not_configured", _error(503, NOT_CONFIGURED))
        body = await _read_body(request)
        if isinstance(body, web.Response):
            return self._ended("too_large", body)
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not timestamp or not signature:
            return self._ended(
                "unauthorized", _error(401, f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
            )
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
            return self._ended("unauthorized", _error(401, f"{TIMESTAMP_HEADER} must be unix seconds"))
        skew = abs(self.clock() - int(timestamp))
        if skew > MAX_SKEW_SECONDS:
            return self._ended(
                "unauthorized",
                _error(401, "the timestamp is more than 5 minutes off: refused as a possible replay"),
            )
        if not hmac.compare_digest(sign(secret, timestamp, body), signature):
            return self._ended("unauthorized", _error(401, "the signature does not match"))
        return await self._accept(body, tenant_id)

    async def with_token(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        tenant_id = None
        if self.tenant_secrets is not None:
            tenant_id = await self.tenant_secrets.by_token(token)
            if tenant_id is None:
                return self._ended("unauthorized", _error(401, "the token in the URL is not valid"))
        elif self.secret is None:
            return self._ended("not_configured", _error(503, NOT_CONFIGURED))
        elif not hmac.compare_digest(token.encode(), self.secret.encode()):
            return self._ended("unauthorized", _error(401, "the token in the URL is not valid"))
        body = await _read_body(request)
        if isinstance(body, web.Response):
            return self._ended("too_large", body)
        return await self._accept(body, tenant_id)

    async def _accept(self, body: bytes, tenant_id: int | None = None) -> web.Response:
        try:
            batch = parse_notifications(body)
        except NotificationError as exc:
            return self._ended("invalid", _error(400, str(exc)))
        jobs = [
            NewJob(CHANGE_JOB, note.model_dump(mode="json"), note.dedup_key) for note in batch.notifications
        ]
        try:
            ids = await self.enqueuer.submit(tenant_id if tenant_id is not None else self.tenant_id(), jobs)
        except Exception:
            log.exception("webhook notifications could not be queued")
            return self._ended(
                "unavailable", _error(503, "the notifications could not be stored; send them again")
            )
        return self._ended(
            "accepted",
            web.json_response({"accepted": len(jobs), "jobs": len(set(ids))}, status=202),
            len(jobs),
        )


async def _read_body(request: web.Request) -> bytes | web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _error(413, f"the body is larger than {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > MAX_BODY:
            return _error(413, f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
