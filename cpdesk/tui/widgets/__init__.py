"""Widgets by area: tables that never cut a value, the activity log."""
