"""Carrying an error through a Catch: the caught error as `{error, cause}`, and a Fail that raises it again.

A Catch's `$states.errorOutput` holds `Error` and `Cause`; what the Cause is depends on who failed: a Lambda
handler's is a JSON object whose `errorMessage` is the message; a child execution's (`states:startExecution.sync`)
is the child's DescribeExecution as JSON, whose `Error`, `Cause` and `Status` say why; a service's is plain text.
`caught()` reads all three into `{error, cause, status?}` (status only for a child execution, ABORTED included), so
that the states after the Catch read one shape. `reraise()` ends the execution with that error.
"""

from __future__ import annotations

from aslkit.asl.states import Fail
from aslkit.asl.values import Jsonata

CAUGHT = (
    "($c := $states.errorOutput.Cause;"
    " $d := ($exists($c) and $substring($c, 0, 1) = '{') ? $parse($c) : {};"
    " {'error': $exists($d.Error) ? $d.Error : $states.errorOutput.Error,"
    "  'cause': $exists($d.errorMessage) ? $d.errorMessage : $exists($d.Cause) ? $d.Cause : $c,"
    "  'status': $d.Status})"
)


def caught(extra: str | None = None) -> Jsonata:
    """A Catch `output=`: the error as `{error, cause, status?}`, merged with the JSONata object `extra` if given
    (in a Catch, `$states.input` is still the failed state's input)."""
    return Jsonata(f"$merge([{CAUGHT}, {extra}])" if extra else CAUGHT)


def reraise(name: str, fallback: str) -> Fail:
    """A Fail state that ends with the `{error, cause}` of its input. `States.*` names are the runtime's own (a Fail
    may not use them): such an error ends as `fallback`, its name kept at the head of the cause."""
    return Fail(
        name,
        error=f"{{% $substring($states.input.error, 0, 7) = 'States.' ? '{fallback}' : $states.input.error %}}",
        cause="{% ($substring($states.input.error, 0, 7) = 'States.' ? $states.input.error & ': ' : '')"
        " & $string($states.input.cause) %}",
    )
