"""The messages a page sends over ``/ws/coach`` (protocol version 1), validated.

docs/live-coach-protocol.md describes them with the events the server sends back. Only
numbers travel: landmark positions normalised to the picture (0..1), visibility (0..1),
world positions in metres and times in seconds; never an image.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "MAX_FRAMES_PER_S",
    "MAX_MESSAGE_BYTES",
    "FrameIn",
    "HelloIn",
    "PingIn",
    "StepIn",
    "parse_message",
]

#: The largest message accepted, in bytes. A frame of 33 landmarks with world positions,
#: written with 4 decimals, is about 2.5 kB.
MAX_MESSAGE_BYTES = 8192
#: Frames per second one connection may send, on average; a burst of one second more
#: passes. A camera gives at most 60.
MAX_FRAMES_PER_S = 60.0

N = 33
Version = Literal[1]
Coordinate = Annotated[float, Field(ge=-10.0, le=10.0, allow_inf_nan=False)]
Visibility = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
ImagePoint = Annotated[
    tuple[Coordinate, Coordinate, Coordinate, Visibility],
    Field(description="x, y (0..1 of the picture's width and height), z, visibility"),
]
WorldPoint = Annotated[
    tuple[Coordinate, Coordinate, Coordinate], Field(description="x, y, z in metres")
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Version


class HelloIn(_Message):
    """The first message: which session, the page's secret for it, and the last event
    sequence number the page saw (0 at first)."""

    type: Literal["hello"]
    session: str = Field(min_length=1, max_length=36)
    token: str = Field(min_length=1, max_length=128)
    last_seq: int = Field(default=0, ge=0)
    exercise_id: str | None = Field(default=None, max_length=40)
    leg: Literal["left", "right"] | None = None


class StepIn(_Message):
    """The glide and leg the player is on now (sent when it changes)."""

    type: Literal["step"]
    exercise_id: str = Field(min_length=1, max_length=40)
    leg: Literal["left", "right"]


class FrameIn(_Message):
    """One frame's landmarks: ``lm`` is ``null`` when the pose model found nobody."""

    type: Literal["frame"]
    t: float = Field(ge=0, le=1e7, allow_inf_nan=False, description="seconds, increasing")
    w: int = Field(ge=16, le=8192, description="the picture's width in pixels")
    h: int = Field(ge=16, le=8192, description="the picture's height in pixels")
    lm: list[ImagePoint] | None = Field(min_length=N, max_length=N)
    world: list[WorldPoint] | None = Field(default=None, min_length=N, max_length=N)


class PingIn(_Message):
    type: Literal["ping"]


Message = Annotated[HelloIn | StepIn | FrameIn | PingIn, Field(discriminator="type")]
_ADAPTER: TypeAdapter[HelloIn | StepIn | FrameIn | PingIn] = TypeAdapter(Message)


def parse_message(text: str) -> HelloIn | StepIn | FrameIn | PingIn:
    """Validate one message (raises ``pydantic.ValidationError``)."""
    return _ADAPTER.validate_json(text)
