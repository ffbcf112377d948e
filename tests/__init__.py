"""Test suite of dephealth-suite; ``tests.support`` holds the shared test infrastructure."""
