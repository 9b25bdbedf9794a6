"""govpub: publishes government information only after it has passed review."""
