"""Tests of the Flask extension ``dephealth_flask``."""
