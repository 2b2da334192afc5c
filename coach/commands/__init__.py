"""One module per group of `coach` sub-commands."""
