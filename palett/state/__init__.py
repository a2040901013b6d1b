"""Thin Reflex states: read input, call a service, show the result."""
