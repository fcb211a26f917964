"""Loading specs safely: bytes -> documents with positions -> resolved references."""
