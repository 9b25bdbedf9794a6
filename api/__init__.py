"""The HTTP API door (FastAPI): routes, bearer-token principals, problem+json errors, the server."""
