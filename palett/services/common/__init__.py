"""What every domain shares: database sessions, user-facing errors, rate limits."""
