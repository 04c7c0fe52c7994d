"""The marker that names the entry at the end of a written timesheet's text (issue 16 §2–3): it is
what finds a lost create again and keeps the import from bringing the timesheet back, so it must
survive any note and never be read into text that merely mentions it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.writeback import marked_entry, with_marker, without_marker


@given(note=st.text(max_size=300), entry_id=st.integers(min_value=1, max_value=10**15))
def test_the_marker_names_the_entry_and_leaves_the_note(note: str, entry_id: int) -> None:
    text = with_marker(note, entry_id)
    assert marked_entry(text) == entry_id
    assert without_marker(text) == note.rstrip()


def test_only_a_marker_at_the_very_end_counts() -> None:
    assert with_marker("", 7) == "[bxhours #7]"
    assert with_marker("call  ", 7) == "call [bxhours #7]"
    assert marked_entry("[bxhours #7] then edited in bexio") is None
    assert marked_entry("see [bxhours 7]") is None
    assert marked_entry("[bxhours #7]  \n") == 7
    assert marked_entry(None) is None and marked_entry(17) is None
    assert without_marker("no marker here") == "no marker here"
