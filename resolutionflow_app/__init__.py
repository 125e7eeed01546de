"""ResolutionFlow application package."""
