"""Acceptance tests run switchboard as a real subprocess (``server_process``) against the test
receiver (``receiver``); both fixtures live in tests/conftest.py. The client commands' tests
share cli_helpers.py (a module on pytest's pythonpath)."""
