import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.slack_text import decode_slack_text


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("a &amp; b", "a & b"),
        ("&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>"),
        ("&amp;lt;", "&lt;"),  # the author typed "&lt;" literally
        ("<@U123|bob> hi", "@bob hi"),
        ("<@U123>", "@U123"),
        ("<#C1|general>", "#general"),
        ("<#C1|>", "#C1"),
        ("<#C1>", "#C1"),
        ("<https://x.example|label>", "label"),
        ("<https://x.example>", "https://x.example"),
        ("<https://x.example?a=1&amp;b=2|A &amp; B>", "A & B"),
        ("<mailto:a@b.ch|a@b.ch>", "a@b.ch"),
        ("<mailto:a@b.ch>", "a@b.ch"),
        ("<!here>", "@here"),
        ("<!here|here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!subteam^S123|@team>", "@team"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("the payload is fine", "the payload is fine"),
        ("unchanged & plain < text", "unchanged & plain < text"),
    ],
)
def test_decode(escaped: str, plain: str) -> None:
    assert decode_slack_text(escaped) == plain


@given(st.text(alphabet=st.characters(blacklist_characters="<>&"), max_size=50))
def test_text_without_escapes_is_unchanged(text: str) -> None:
    assert decode_slack_text(text) == text


@given(st.text(max_size=50))
def test_decoding_what_slack_would_escape_gives_the_original(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert decode_slack_text(escaped) == text
