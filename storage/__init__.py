"""Persistence: database tables and repository functions, migrations, S3 object storage."""
