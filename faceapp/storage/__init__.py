"""Persistent storage of the enrolled gallery (SQLite, no Qt)."""
