"""voicecoach: a local-first, spoken mock-interview coach."""

__version__ = "0.1.0"
