"""Hooks into the platform: the daily housekeeping round evaluates the early-warning rules."""

from __future__ import annotations
