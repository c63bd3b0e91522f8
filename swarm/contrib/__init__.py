"""Locust's ``locust.contrib`` import paths."""
