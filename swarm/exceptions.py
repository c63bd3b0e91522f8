"""Every exception swarm raises or understands, in two families.

Errors say that something is wrong and carry a message meant for a person::

    SwarmError                 base of swarm's own errors (alias: LocustError)
    ├── ConfigError            a bad flag, option value or config file
    ├── UserfileError          a userfile that cannot be found, read, imported or used
    ├── MissingWaitTimeError   a user class without wait_time where one is needed
    ├── ProtocolError          a node-to-node message that cannot be read
    ├── ResponseError          a response that a user (or catch_response) marked as failed
    └── CatchResponseError     the same, raised inside ``catch_response`` blocks

Control-flow signals are *not* errors. User code raises them to steer its own task loop,
and swarm's loops catch them by type; they never count as failures::

    StopUser                   stop this user now (its on_stop still runs)
    RescheduleTask             end this task and pick the next one (after the wait time)
    RescheduleTaskImmediately  end this task and pick the next one without waiting
    InterruptTaskSet           leave the current TaskSet and go back to its parent
    StopTest                   stop the whole test (raised from a listener or a task)
"""

from __future__ import annotations


class SwarmError(Exception):
    """Base class of every error swarm raises on purpose."""


#: Locust's name for the same base class, so ``except LocustError`` keeps working.
LocustError = SwarmError


class ConfigError(SwarmError):
    """An option, flag or config file that swarm cannot use; the message names it."""


class UserfileError(SwarmError):
    """A userfile that cannot be found, read, imported or holds no runnable user class."""


class MissingWaitTimeError(SwarmError):
    """A user or task set needs ``wait_time`` and has none."""


class ProtocolError(SwarmError):
    """A message between nodes that is malformed, unknown or of another protocol version."""

    #: The node that sent the message, when the transport knows it.
    node_id: str | None = None


class RPCError(SwarmError):
    """The link between a master and a worker failed."""


class RPCSendError(RPCError):
    """A message could not be sent to the other node."""


class RPCReceiveError(RPCError):
    """A message could not be received from the other node."""

    def __init__(self, *args: object, addr: str | None = None) -> None:
        super().__init__(*args)
        self.addr = addr


class ResponseError(SwarmError):
    """A response judged as failed (for instance a bad status) by a client or user code."""


class CatchResponseError(SwarmError):
    """A failure reported from inside a ``catch_response=True`` block."""


class StopUser(Exception):
    """Signal: stop the user that raises it. Not an error."""


class RescheduleTask(Exception):
    """Signal: end the current task, wait, and pick the next one. Not an error."""


class RescheduleTaskImmediately(Exception):
    """Signal: end the current task and pick the next one without waiting. Not an error."""


class InterruptTaskSet(Exception):
    """Signal: leave the running TaskSet and return control to its parent.

    With ``reschedule=True`` (the default) the parent picks a new task at once; with
    ``False`` it first waits its wait time.
    """

    def __init__(self, reschedule: bool = True) -> None:
        super().__init__(reschedule)
        self.reschedule = reschedule


class StopTest(Exception):
    """Signal: stop the whole test run. Not an error."""


#: The signals a task loop lets pass through listeners and helpers untouched.
CONTROL_FLOW = (StopUser, RescheduleTask, RescheduleTaskImmediately, InterruptTaskSet, StopTest)
