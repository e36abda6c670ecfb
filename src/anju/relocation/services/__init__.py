"""Relocation writes, one module per area (sites, identification, steps, support, imports, monitoring, checks)."""
