from core.errors import DomainError, quote_input


def test_domain_error_is_a_value_error_with_a_message() -> None:
    error = DomainError("The amount must be positive.")
    assert isinstance(error, ValueError)
    assert error.message == str(error) == "The amount must be positive."


def test_quote_input_collapses_whitespace_and_shortens() -> None:
    assert quote_input("  2h\n30 ") == "“2h 30”"
    shown = quote_input("x" * 100)
    assert len(shown) == 42
    assert shown.endswith("…”")
