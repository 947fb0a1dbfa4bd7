"""DET Registry: an event-sourced registry for distance-education technologies (DET)."""

__version__ = "0.1.0"
