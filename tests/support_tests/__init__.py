"""Tests of the test infrastructure itself (``tests.support``)."""
