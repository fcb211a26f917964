"""apicontract: keep API integrations honest with their OpenAPI contract."""

__version__ = "0.1.0"
