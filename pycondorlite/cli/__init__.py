"""Command-line layers: one module per command, each a thin wrapper over the library."""
