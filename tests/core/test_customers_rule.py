import pytest

from core.customers_rule import (
    CUSTOMER_TAG_THRESHOLD,
    DEFAULT_CATEGORY_NAMES,
    ContactRef,
    GroupRef,
    decide_customer_rule,
    parse_category_names,
    parse_group_ids,
)

GROUPS = (
    GroupRef(1, "Partner"),
    GroupRef(2, "Lieferanten"),
    GroupRef(3, "Kunden"),
    GroupRef(13, "Kunden-Archiv"),
)


def contacts(tagged: int, untagged: int = 5, tag: str = "3") -> list[ContactRef]:
    return [ContactRef(i, f"1,{tag}", False) for i in range(tagged)] + [
        ContactRef(1000 + i, "13,31", False) for i in range(untagged)
    ]


@pytest.mark.parametrize(
    ("value", "ids"),
    [(None, set()), ("", set()), ("3", {3}), ("13,31", {13, 31}), (" 1, 3 ,", {1, 3}), ("1,x,3", {1, 3})],
)
def test_parse_group_ids(value: str | None, ids: set[int]) -> None:
    assert parse_group_ids(value) == frozenset(ids)


def test_exact_ids_3_is_not_in_13_31() -> None:
    assert 3 not in parse_group_ids("13,31")


def test_parse_category_names() -> None:
    assert parse_category_names(DEFAULT_CATEGORY_NAMES) == ("Kunden", "Customers", "Clients", "Clienti")
    assert parse_category_names(" Kunden ,, KUNDEN ,  ") == ("Kunden",)


@pytest.mark.parametrize(("tagged", "mode"), [(0, "all"), (9, "all"), (10, "tagged"), (11, "tagged")])
def test_threshold(tagged: int, mode: str) -> None:
    rule = decide_customer_rule(GROUPS, contacts(tagged), DEFAULT_CATEGORY_NAMES)
    assert rule.mode == mode
    assert rule.tagged_count == tagged
    assert rule.group_ids == frozenset({3})
    assert rule.group_names == ("Kunden",)
    assert rule.contact_count == tagged + 5


def test_threshold_constant() -> None:
    assert CUSTOMER_TAG_THRESHOLD == 10


def test_group_13_31_does_not_count_for_category_3() -> None:
    rule = decide_customer_rule(GROUPS, contacts(0, untagged=20), DEFAULT_CATEGORY_NAMES)
    assert rule.tagged_count == 0
    assert rule.mode == "all"


def test_archived_contacts_are_not_counted_and_never_included() -> None:
    archived = [ContactRef(500 + i, "3", True) for i in range(5)]
    rule = decide_customer_rule(GROUPS, contacts(9) + archived, DEFAULT_CATEGORY_NAMES)
    assert (rule.mode, rule.tagged_count) == ("all", 9)
    assert not rule.includes(archived[0])
    assert rule.includes(ContactRef(1, None, False))


def test_tagged_rule_includes_only_tagged_contacts() -> None:
    rule = decide_customer_rule(GROUPS, contacts(10), DEFAULT_CATEGORY_NAMES)
    assert rule.includes(ContactRef(1, "3", False))
    assert rule.includes(ContactRef(2, "1,3", False))
    assert not rule.includes(ContactRef(3, "13,31", False))
    assert not rule.includes(ContactRef(4, None, False))
    assert not rule.includes(ContactRef(5, "3", True))


def test_all_rule_includes_every_non_archived_contact() -> None:
    rule = decide_customer_rule(GROUPS, contacts(3), DEFAULT_CATEGORY_NAMES)
    assert rule.includes(ContactRef(3, "13,31", False))
    assert rule.includes(ContactRef(4, None, False))


def test_no_category_imports_all_and_says_why() -> None:
    groups = (GroupRef(1, "Partner"),)
    rule = decide_customer_rule(groups, contacts(0, untagged=7), DEFAULT_CATEGORY_NAMES)
    assert rule.mode == "no-category"
    assert rule.group_ids == frozenset()
    assert rule.includes(ContactRef(1, None, False))
    assert "No contact group is named Kunden, Customers, Clients, Clienti" in rule.reason
    assert "every non-archived contact (7) is a customer" in rule.reason


def test_names_match_case_insensitively_and_several_groups_form_the_category() -> None:
    groups = (GroupRef(3, "kunden"), GroupRef(4, " CUSTOMERS "), GroupRef(5, "Partner"))
    people = [ContactRef(i, "3", False) for i in range(6)] + [
        ContactRef(10 + i, "4", False) for i in range(4)
    ]
    rule = decide_customer_rule(groups, people, "Kunden, Customers")
    assert rule.group_ids == frozenset({3, 4})
    assert (rule.mode, rule.tagged_count) == ("tagged", 10)
    assert rule.includes(ContactRef(99, "5,4", False))


def test_custom_category_setting() -> None:
    groups = (*GROUPS, GroupRef(20, "Auftraggeber"))
    rule = decide_customer_rule(groups, [ContactRef(i, "20", False) for i in range(12)], "Auftraggeber")
    assert (rule.mode, rule.group_ids) == ("tagged", frozenset({20}))


def test_reasons_are_sentences_with_the_counts() -> None:
    one = decide_customer_rule(GROUPS, contacts(1), DEFAULT_CATEGORY_NAMES)
    few = decide_customer_rule(GROUPS, contacts(9), DEFAULT_CATEGORY_NAMES)
    many = decide_customer_rule(GROUPS, contacts(11), DEFAULT_CATEGORY_NAMES)
    assert one.reason.startswith("Only 1 contact is in “Kunden”")
    assert few.reason == (
        "Only 9 contacts are in “Kunden” (fewer than 10), so every non-archived contact (14) is a customer."
    )
    assert (
        many.reason
        == "11 contacts are in “Kunden” (10 or more), so only they are customers, not the other 5."
    )


def test_contacts_may_be_a_one_shot_stream() -> None:
    rule = decide_customer_rule(GROUPS, iter(contacts(12)), DEFAULT_CATEGORY_NAMES)
    assert (rule.mode, rule.contact_count) == ("tagged", 17)
