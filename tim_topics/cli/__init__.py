"""The ``tim-topics`` command line."""
