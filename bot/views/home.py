"""The App Home view."""

from __future__ import annotations

from typing import Any

from services.container import Services


async def build(services: Services, tenant_id: int, user_id: str) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "bxhours"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Log time with `/log-hours`, expenses with `/log-expense`."},
        },
    ]
    return {"type": "home", "blocks": blocks}
