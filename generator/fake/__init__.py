"""A stateful fake of the Zuora Fulfillments APIs (v1 and Quickstart), served through the
generated FastAPI stubs: `apicontract serve SPEC`."""
