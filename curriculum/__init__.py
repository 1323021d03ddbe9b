"""The ``curriculum`` command line: the one composition root that wires every package."""
