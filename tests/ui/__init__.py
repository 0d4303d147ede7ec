"""Tests of the Textual front: Pilot tests on the served demo and SVG snapshots."""
