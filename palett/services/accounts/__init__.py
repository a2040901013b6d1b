"""Accounts: users, sessions, tokens, passwords, OAuth links, throttles, mail."""
