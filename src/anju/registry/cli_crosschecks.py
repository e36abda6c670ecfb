"""`anju registry` crosschecks commands."""


def register(group) -> None:
    """Add this module's commands to the `anju registry` group."""
