"""ResolutionFlow test suite."""
