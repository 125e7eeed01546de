"""The desktop shell: `resolutionflow desktop` serves the embedded app on loopback and shows it in a native window."""
