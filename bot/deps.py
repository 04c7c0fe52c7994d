"""What the Slack handlers are given: the services, and who the admins are."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ack_first import AckFirst
from bot.in_flight import InFlightListeners
from bot.views.sealed import ChoiceSeal
from services.container import Services
from storage.tenant_context import current_tenant


@dataclass(frozen=True)
class BotDeps:
    services: Services
    seal: ChoiceSeal
    """Seals the pending request a choice button carries (``bot.views.sealed``)."""
    ack_first: AckFirst = field(default_factory=AckFirst)
    """Gate for the work handlers do after acknowledging (``async with deps.ack_first.turn()``)."""
    in_flight: InFlightListeners = field(default_factory=InFlightListeners)
    """Handlers still running after their ``ack()``: a shutdown waits for them."""

    async def tenant_id(self, team_id: str | None) -> int:
        """The tenant the front door resolved for this request (multi-workspace mode resolves by
        installation, which also covers org-wide installs), else the workspace's tenant."""
        found = current_tenant.get()
        if found:
            return found
        return await self.services.tenants.resolve(team_id)
