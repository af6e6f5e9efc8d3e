"""Widgets of the chat screen. They post messages; they never call the coaching session."""
