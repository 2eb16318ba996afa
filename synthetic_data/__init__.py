"""synthetic_data."""
