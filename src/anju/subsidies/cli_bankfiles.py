"""`anju subsidies` commands: bankfiles."""


def register(group) -> None:
    pass
