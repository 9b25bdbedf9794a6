"""The pure domain core of govpub: rules only, no I/O and no adapter libraries."""
