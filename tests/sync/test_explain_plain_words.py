"""No program text reaches a person: the SDK's checks and unknown errors are put in plain words."""

from sync.explain import explain_exception


def test_the_sdks_length_check_in_words():
    words, hint = explain_exception(ValueError("Invalid value for `name`, length must be less than or equal to `255`"))
    assert words == "The name is longer than Xero's 255 characters, so it was not sent."
    assert hint == "Shorten it in Procore, then sync again."


def test_an_unknown_error_says_what_happened_without_its_text(caplog):
    words, hint = explain_exception(KeyError("line_items"))
    assert "KeyError" not in words and "line_items" not in words and "Unexpected error" not in words
    assert words == "Something unexpected stopped this; nothing was written for it."
    assert "worker's log" in hint
    assert "KeyError" in caplog.text  # the detail stays in the log for the administrator
