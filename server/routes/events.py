"""The event log of a curriculum: JSON lines (optionally followed live) or Parquet."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from server.deps import ServiceDep
from server.errors import InvalidRequestError
from server.eventlog import PARQUET_MEDIA_TYPE, to_parquet
from server.routes.curricula import CurriculumId
from server.schemas import ErrorOut

router = APIRouter(prefix="/v1/curricula/{curriculum_id}", tags=["events"],
                   strict_content_type=False)

JSONL_MEDIA_TYPE = "application/x-ndjson"


@router.get(
    "/events",
    response_class=Response,
    responses={
        200: {
            "description": "one JSON object per line (teacher.read_jsonl reads it), or Parquet",
            "content": {JSONL_MEDIA_TYPE: {}, PARQUET_MEDIA_TYPE: {}},
        },
        404: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)
async def get_events(
    curriculum_id: CurriculumId,
    service: ServiceDep,
    fmt: Annotated[Literal["jsonl", "parquet"], Query(alias="format")] = "jsonl",
    after: Annotated[
        int, Query(ge=0, le=2**62, description="only events with seq > after")
    ] = 0,
    follow: Annotated[
        bool, Query(description="jsonl only: keep streaming new events as they are stored")
    ] = False,
) -> Response:
    """The durable events in seq order (from 1; the first is ``created`` with the full
    configuration)."""
    if fmt == "parquet":
        if follow:
            raise InvalidRequestError("follow: only format=jsonl can be followed")
        live = service.get(curriculum_id)
        rows = await service.read_log(curriculum_id, after=after)
        data = await asyncio.to_thread(to_parquet, rows, live.config.space.names)
        return Response(data, media_type=PARQUET_MEDIA_TYPE)
    stream = await service.open_log_stream(curriculum_id, after=after, follow=follow)
    return StreamingResponse(stream, media_type=JSONL_MEDIA_TYPE)
