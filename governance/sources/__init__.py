"""Input formats: one module per format, and the registry that maps names to them."""
