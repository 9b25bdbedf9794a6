"""The pages: server-rendered (Jinja2) doors to the application layer, in Chinese, beside the API."""
