"""Helpers shared by the server and end-to-end tests."""
