"""Widgets of the desk: the alert list and the article view."""
