"""The application layer: every use case, taking the acting principal; doors (CLI, flows, API) call only this."""
