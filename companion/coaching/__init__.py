"""Coaching modes and the pure-Python question analyser that guards their replies."""
