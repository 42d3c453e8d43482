"""The package version, recorded in every manifest (and in every resume marker, so that chunks
saved by another version are never reused)."""

__version__ = "0.2.0"
