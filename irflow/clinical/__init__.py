"""Pure-Python clinical decision support: rule sets as versioned data, no Django."""
