"""The contract engine: check real traffic against a spec.

    from generator.contract import Contract
    contract = Contract.load("specs/quickstart/fulfillments.yaml")   # compile once
    result = contract.check_httpx(response.request, response)         # or check_pair / check
    assert result.conforms, result.findings

Data flows one way: bytes -> exchange (traffic/) -> operation (operations.py) -> findings
(check.py, compile.py) -> report (report/).
"""

from generator.contract.check import Contract
from generator.contract.exchange import Exchange, InvalidInput, Message, Request, Response
from generator.contract.findings import ContractFinding, ExchangeResult, Kind, Part

__all__ = [
    "Contract",
    "ContractFinding",
    "Exchange",
    "ExchangeResult",
    "InvalidInput",
    "Kind",
    "Message",
    "Part",
    "Request",
    "Response",
]
