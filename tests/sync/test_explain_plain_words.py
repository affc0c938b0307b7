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


def test_an_outage_names_the_platform_and_never_the_librarys_text():
    from procore_client.errors import ProcoreConnectionError, ProcoreOutcomeUnknown
    from xero_client.errors import XeroServerError

    words, hint = explain_exception(XeroServerError(503, "Service Unavailable"))
    assert words == "Xero had a problem of its own (a server error) and did not take the call. Nothing was lost."
    assert "retried automatically" in hint
    words, _ = explain_exception(ProcoreConnectionError(None, "Max retries exceeded with url: /rest/v1.0/vendors"))
    assert words.startswith("Procore could not be reached") and "Max retries" not in words
    words, _ = explain_exception(ProcoreOutcomeUnknown(None, "Read timed out. (read timeout=30)"))
    assert words.startswith("Procore did not confirm whether it took the change") and "timed out." not in words
