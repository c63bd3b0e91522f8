"""Locust's module name for the exceptions (``from locust.exception import ...``)."""

from swarm.exceptions import (
    CatchResponseError,
    ConfigError,
    InterruptTaskSet,
    LocustError,
    MissingWaitTimeError,
    ProtocolError,
    RescheduleTask,
    RescheduleTaskImmediately,
    ResponseError,
    RPCError,
    RPCReceiveError,
    RPCSendError,
    StopTest,
    StopUser,
    SwarmError,
    UserfileError,
)

__all__ = [
    "CatchResponseError",
    "ConfigError",
    "InterruptTaskSet",
    "LocustError",
    "MissingWaitTimeError",
    "ProtocolError",
    "RPCError",
    "RPCReceiveError",
    "RPCSendError",
    "RescheduleTask",
    "RescheduleTaskImmediately",
    "ResponseError",
    "StopTest",
    "StopUser",
    "SwarmError",
    "UserfileError",
]
