"""Reusable pieces of UI. No I/O here."""
