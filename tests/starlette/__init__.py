"""Tests of the Starlette adapter ``dephealth_starlette``."""
