"""Screens pushed over the dashboard: drill-downs, help, confirmations."""
