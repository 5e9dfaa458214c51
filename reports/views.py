"""Dashboards, reports and exports."""
