"""`anju subsidies` commands: ledger."""


def register(group) -> None:
    pass
