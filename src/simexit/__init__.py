"""simexit — close a subscriber's line properly, from the first question to the number's reissue."""

__version__ = "0.1.0"
