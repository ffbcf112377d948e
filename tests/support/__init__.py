"""Test infrastructure shared by the test suite and the bench scripts.

Real servers on loopback (private Redis, PostgreSQL, OpenLDAP, a Kafka-protocol broker), a fault
injecting TCP proxy, TLS material and port helpers. Nothing here imports pytest: the fixtures that
wrap these helpers live in ``tests/conftest.py``. See ``README.md`` beside this file.
"""
