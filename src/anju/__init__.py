"""anju (安居): post-relocation support management information system."""

__version__ = "0.1.0"
