"""The simexit command."""
