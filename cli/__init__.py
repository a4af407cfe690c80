"""The `dun` command line: a thin layer that wires the domain, the store and publishing."""
