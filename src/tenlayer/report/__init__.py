"""Report formats: table (rich), json, and the writers that put them on stdout or in a file."""
