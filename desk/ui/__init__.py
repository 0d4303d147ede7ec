"""The Textual front of desk: the alert list, the article pane and the keys."""
