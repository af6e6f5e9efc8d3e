"""Screens: the chat, past sessions, structured-mode forms, the source viewer, pickers."""
