"""The store's one exception, importable without loading the database layer (the command
line catches it on every command; most never open the store)."""


class StoreError(Exception):
    """The store cannot be opened, read or written (one line, no password)."""
