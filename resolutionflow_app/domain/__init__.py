"""Pure rules of ResolutionFlow: no database, no web framework, no network."""
