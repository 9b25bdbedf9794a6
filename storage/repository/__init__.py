"""Repository functions: verb-first, keyword-only, each receives its database session."""
