"""The screen stage."""
