"""`anju subsidies` commands: reference."""


def register(group) -> None:
    pass
