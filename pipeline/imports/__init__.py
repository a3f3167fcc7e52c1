"""The imports stage."""
