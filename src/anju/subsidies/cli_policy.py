"""`anju subsidies` commands: policy."""


def register(group) -> None:
    pass
