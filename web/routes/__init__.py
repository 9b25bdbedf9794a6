"""Page routers: each module exposes ``router``."""
