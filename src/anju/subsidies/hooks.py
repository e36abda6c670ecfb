"""Hooks into the platform: the daily housekeeping round looks for overpayments to recover."""
