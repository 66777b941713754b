"""The operations dashboard (``cpdesk dashboard``): Textual screens over the desk API."""

from cpdesk.tui.app import DashboardApp, DashboardOptions

__all__ = ["DashboardApp", "DashboardOptions"]
