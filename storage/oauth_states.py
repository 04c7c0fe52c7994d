"""OAuth ``state`` values in the database: issued by one replica, consumed by any, each once."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update

from storage.crypto import TokenCipher
from storage.db import Database
from storage.jobs import utcnow
from storage.models import OAuthState

STATE_LIFETIME = timedelta(minutes=15)


class OAuthStateRepository:
    def __init__(self, db: Database, cipher: TokenCipher, now: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.cipher = cipher
        self.now = now

    async def issue(
        self, kind: str, payload: dict[str, Any] | None = None, lifetime: timedelta = STATE_LIFETIME
    ) -> str:
        state = secrets.token_urlsafe(32)
        now = self.now()
        async with self.db.system_session() as session:
            # Expired states are of no use to anyone: clear them out as new ones come in.
            await session.execute(delete(OAuthState).where(OAuthState.expires_at < now - timedelta(days=1)))
            session.add(
                OAuthState(
                    id=state,
                    kind=kind,
                    payload_enc=self.cipher.encrypt(json.dumps(payload or {})),
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return state

    async def consume(self, kind: str, state: str | None) -> dict[str, Any] | None:
        """The state's payload if this deployment issued it, it is unexpired and not used yet; else None.

        The conditional update makes it single-use even when two replicas race for it.
        """
        if not state or len(state) > 100:
            return None
        now = self.now()
        async with self.db.system_session() as session:
            result = await session.execute(
                update(OAuthState)
                .where(
                    OAuthState.id == state,
                    OAuthState.kind == kind,
                    OAuthState.consumed_at.is_(None),
                    OAuthState.expires_at > now,
                )
                .values(consumed_at=now)
                .returning(OAuthState.payload_enc)
            )
            row = result.first()
        if row is None:
            return None
        payload = json.loads(self.cipher.decrypt(row[0])) if row[0] else {}
        return payload if isinstance(payload, dict) else {}
