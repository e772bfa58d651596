"""The window's dialogs: each asks or shows one thing and closes."""
