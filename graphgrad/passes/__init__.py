"""passes layer."""
