"""What a service leaves for after the commit (the follow-up sync it asks for), run inside a test."""

from django.test import TestCase


def committed():
    """`with committed(): service(...)`: the on-commit callbacks run when the block ends (eager tasks)."""
    return TestCase.captureOnCommitCallbacks(execute=True)
