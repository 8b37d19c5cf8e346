"""Why a clip can't be analysed, each with what the person should change.

::

    InvalidInput (nerveglide.errors)
    └── UnusableClip                the clip can't give an analysis; ``message`` says why
        ├── NotAVideo               not a video file a decoder reads (text, damaged)
        ├── EmptyVideo              no frames at all, or a still image
        ├── TruncatedVideo          the file stops before the frames it declares
        ├── NoPerson                no person found
        ├── PartlyInFrame           the body is cut off by the frame edge
        ├── SeveralPeople           more than one person in the frame
        ├── WrongView               filmed from the front or back when a side view is needed
        ├── WrongPosture            not lying / sitting as the glide needs
        └── NoRepetition            nothing that counts as a repetition was found

The CLI turns each into exit code 2 with its message; the web page shows the message.
"""

from __future__ import annotations

from nerveglide.errors import InvalidInput

FILM_HINT = "film from the side, whole body in frame, one person, camera steady"


class UnusableClip(InvalidInput):
    """The clip can't give an analysis; the message says what to change."""

    default_message = f"this clip can't be analysed: {FILM_HINT}"


class NotAVideo(UnusableClip):
    pass


class EmptyVideo(UnusableClip):
    pass


class TruncatedVideo(UnusableClip):
    pass


class NoPerson(UnusableClip):
    pass


class PartlyInFrame(UnusableClip):
    pass


class SeveralPeople(UnusableClip):
    pass


class WrongView(UnusableClip):
    pass


class WrongPosture(UnusableClip):
    pass


class NoRepetition(UnusableClip):
    pass
