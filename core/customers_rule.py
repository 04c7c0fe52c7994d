"""Which bexio contacts are customers (issue 4 §2, the rule of the original product).

The "customers" category is every contact group whose name is one of the configured names.
When fewer than ten non-archived contacts carry it, the category is evidently not used and
every contact is a customer; from ten on, only the tagged ones are. No such group: everyone.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from core.i18n import _, ngettext

CUSTOMER_TAG_THRESHOLD = 10
DEFAULT_CATEGORY_NAMES = "Kunden, Customers, Clients, Clienti"

RuleMode = Literal["all", "tagged", "no-category"]


@dataclass(frozen=True, slots=True)
class ContactRef:
    id: int
    group_ids: str | None
    """bexio's `contact_group_ids`: a comma-separated string of group ids, or None."""
    archived: bool


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CustomerRule:
    mode: RuleMode
    group_ids: frozenset[int]
    group_names: tuple[str, ...]
    tagged_count: int
    reason: str
    """One sentence for the import summary: which rule applied and why."""
    contact_count: int = 0
    """Non-archived contacts seen when the rule was decided."""

    def includes(self, contact: ContactRef) -> bool:
        """Whether the contact is a customer under this rule; archived contacts never are."""
        if contact.archived:
            return False
        if self.mode == "tagged":
            return not self.group_ids.isdisjoint(parse_group_ids(contact.group_ids))
        return True


def parse_group_ids(value: str | None) -> frozenset[int]:
    """`"3,13"` → {3, 13}: exact ids, so group 3 is not found in "13,31"; pieces that are not
    ids are ignored (they cannot tag anyone)."""
    if not value:
        return frozenset()
    pieces = (piece.strip() for piece in value.split(","))
    return frozenset(int(piece) for piece in pieces if piece.isascii() and piece.isdigit())


def parse_category_names(category_names: str) -> tuple[str, ...]:
    """The configured names, trimmed, without empties or case-insensitive duplicates."""
    names: dict[str, str] = {}
    for raw in category_names.split(","):
        name = " ".join(raw.split())
        if name:
            names.setdefault(name.casefold(), name)
    return tuple(names.values())


def decide_customer_rule(
    groups: Sequence[GroupRef], contacts: Iterable[ContactRef], category_names: str
) -> CustomerRule:
    """Decide the rule in one pass over the contacts (they may be a stream of thousands)."""
    wanted = {name.casefold() for name in parse_category_names(category_names)}
    category = [g for g in groups if " ".join(g.name.split()).casefold() in wanted]
    group_ids = frozenset(g.id for g in category)
    group_names = tuple(dict.fromkeys(g.name for g in category))
    tagged = total = 0
    for contact in contacts:
        if contact.archived:
            continue
        total += 1
        if group_ids and not group_ids.isdisjoint(parse_group_ids(contact.group_ids)):
            tagged += 1
    shown = " / ".join(f"“{name}”" for name in group_names)
    if not category:
        listed = ", ".join(parse_category_names(category_names)) or _("(none configured)")
        reason = _(
            "No contact group is named {listed}, so every non-archived contact ({total}) is a customer "
            "(set `customer_category` to the name of your customers group).",
            listed=listed,
            total=total,
        )
        return CustomerRule("no-category", group_ids, group_names, 0, reason, total)
    if tagged < CUSTOMER_TAG_THRESHOLD:
        reason = ngettext(
            "Only {n} contact is in {shown} (fewer than {threshold}), "
            "so every non-archived contact ({total}) is a customer.",
            "Only {n} contacts are in {shown} (fewer than {threshold}), "
            "so every non-archived contact ({total}) is a customer.",
            tagged,
            shown=shown,
            threshold=CUSTOMER_TAG_THRESHOLD,
            total=total,
        )
        return CustomerRule("all", group_ids, group_names, tagged, reason, total)
    reason = _(
        "{tagged} contacts are in {shown} ({threshold} or more), "
        "so only they are customers, not the other {others}.",
        tagged=tagged,
        shown=shown,
        threshold=CUSTOMER_TAG_THRESHOLD,
        others=total - tagged,
    )
    return CustomerRule("tagged", group_ids, group_names, tagged, reason, total)
