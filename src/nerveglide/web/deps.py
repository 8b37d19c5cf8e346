"""Dependencies that routes declare in their signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from nerveglide.content.schema import Library


def get_library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


LibraryDep = Annotated[Library, Depends(get_library)]
