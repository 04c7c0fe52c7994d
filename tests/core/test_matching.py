import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.matching import Candidate, MatchKind, match, normalise_name

RELAUNCH = Candidate(1, "Website Relaunch", "000042")
OLD_SITE = Candidate(2, "Website 2019", "000007", active=False)
WEBSHOP = Candidate(3, "Webshop", "000043")
INTERN = Candidate(4, "Intern", "000001")
INTERN_OLD = Candidate(5, "intern", "000002", active=False)
YEAR_CAMPAIGN = Candidate(6, "2026 Kampagne", "000050")
PROJECTS = (RELAUNCH, OLD_SITE, WEBSHOP, INTERN, INTERN_OLD, YEAR_CAMPAIGN)


@pytest.mark.parametrize("query", ["42", "000042", "0042", " 42 "])
def test_numbers_match_the_project_number_ignoring_leading_zeros(query: str) -> None:
    result = match(query, PROJECTS)
    assert result.kind is MatchKind.EXACT
    assert result.found == (RELAUNCH,)
    assert result.unique == RELAUNCH


def test_a_number_that_is_no_project_number_falls_back_to_names() -> None:
    result = match("2026", PROJECTS)
    assert result.kind is MatchKind.UNIQUE_PREFIX
    assert result.found == (YEAR_CAMPAIGN,)


def test_inactive_candidates_still_match_so_the_caller_can_say_why() -> None:
    result = match("7", PROJECTS)
    assert result.kind is MatchKind.EXACT
    assert result.found == (OLD_SITE,)
    assert result.found[0].active is False


@pytest.mark.parametrize("query", ["website relaunch", "  WEBSITE   Relaunch ", "Website\tRelaunch"])
def test_exact_name_ignores_case_and_whitespace(query: str) -> None:
    assert match(query, PROJECTS).found == (RELAUNCH,)
    assert match(query, PROJECTS).kind is MatchKind.EXACT


def test_an_active_exact_match_wins_over_an_inactive_one() -> None:
    result = match("INTERN", PROJECTS)
    assert (result.kind, result.found) == (MatchKind.EXACT, (INTERN,))


def test_exact_beats_prefix() -> None:
    candidates = (Candidate(1, "Web"), Candidate(2, "Webshop"))
    assert match("web", candidates).found == (candidates[0],)
    assert match("web", candidates).kind is MatchKind.EXACT


def test_unique_prefix() -> None:
    result = match("websh", PROJECTS)
    assert (result.kind, result.found) == (MatchKind.UNIQUE_PREFIX, (WEBSHOP,))


def test_prefix_prefers_active_candidates() -> None:
    # "Website" is a prefix of the active relaunch and of the archived 2019 site.
    result = match("website", PROJECTS)
    assert (result.kind, result.found) == (MatchKind.UNIQUE_PREFIX, (RELAUNCH,))


def test_only_inactive_prefix_matches_are_still_returned() -> None:
    candidates = (Candidate(1, "Archiv A", active=False), Candidate(2, "Archiv B", active=False))
    result = match("archiv", candidates)
    assert result.kind is MatchKind.AMBIGUOUS
    assert result.found == candidates
    assert result.unique is None


def test_several_prefix_matches_are_ambiguous_with_all_of_them() -> None:
    result = match("web", PROJECTS)
    assert result.kind is MatchKind.AMBIGUOUS
    assert result.found == (RELAUNCH, WEBSHOP)
    assert result.unique is None


def test_duplicate_project_numbers_are_ambiguous_not_a_guess() -> None:
    candidates = (Candidate(1, "A", "000042"), Candidate(2, "B", "42"))
    assert match("42", candidates).kind is MatchKind.AMBIGUOUS


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [("Websit Relaunch", "Website Relaunch"), ("relaunch", "Website Relaunch"), ("Intren", "Intern")],
)
def test_no_match_suggests_close_names(query: str, suggestion: str) -> None:
    result = match(query, PROJECTS)
    assert result.kind is MatchKind.NONE
    assert result.found == ()
    assert suggestion in result.suggestions


def test_suggestions_skip_inactive_names_and_stop_at_three() -> None:
    candidates = [Candidate(i, f"Kampagne {i}") for i in range(10)] + [
        Candidate(99, "Kampagne alt", active=False)
    ]
    result = match("ampagne", candidates)
    assert result.kind is MatchKind.NONE
    assert len(result.suggestions) == 3
    assert "Kampagne alt" not in result.suggestions


def test_nothing_close_gives_no_suggestions() -> None:
    assert match("zzzz", PROJECTS).suggestions == ()


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_matches_nothing(query: str) -> None:
    assert match(query, PROJECTS).kind is MatchKind.NONE


names = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=12)
candidate_lists = st.lists(
    st.builds(
        Candidate,
        st.integers(),
        names,
        st.one_of(st.none(), st.from_regex(r"\A0*[0-9]{1,4}\Z")),
        st.booleans(),
    ),
    max_size=8,
)


@given(st.text(max_size=15), candidate_lists)
def test_match_is_total_and_consistent(query: str, candidates: list[Candidate]) -> None:
    result = match(query, candidates)
    if result.kind in (MatchKind.EXACT, MatchKind.UNIQUE_PREFIX):
        assert len(result.found) == 1
        assert result.unique in candidates
    elif result.kind is MatchKind.AMBIGUOUS:
        assert len(result.found) >= 2
        assert all(c in candidates for c in result.found)
    else:
        assert result.found == ()
        assert len(result.suggestions) <= 3


@given(candidate_lists)
def test_every_name_finds_itself_or_an_active_namesake(candidates: list[Candidate]) -> None:
    for candidate in candidates:
        wanted = normalise_name(candidate.name)
        if not wanted or (wanted.isascii() and wanted.isdigit()):
            continue  # numbers are project numbers first
        result = match(candidate.name, candidates)
        assert result.kind in (MatchKind.EXACT, MatchKind.AMBIGUOUS)
        assert all(normalise_name(c.name) == wanted for c in result.found)
        assert candidate in result.found or (not candidate.active and all(c.active for c in result.found))
