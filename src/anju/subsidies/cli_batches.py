"""`anju subsidies` commands: entitlements and batches."""


def register(group) -> None:
    pass
