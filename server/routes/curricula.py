"""Create, list, read and delete curricula."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from server.deps import ServiceDep
from server.schemas import CurriculumCreate, CurriculumList, CurriculumOut, ErrorOut
from server.views import curriculum_out

router = APIRouter(prefix="/v1/curricula", tags=["curricula"], strict_content_type=False)

CurriculumId = Annotated[str, Path(description="the id returned at creation")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": CurriculumOut, "description": "same name and configuration: existing"},
        409: {"model": ErrorOut, "description": "same name, different configuration"},
    },
)
async def create_curriculum(
    body: CurriculumCreate, service: ServiceDep, response: Response
) -> CurriculumOut:
    """Create a curriculum (201). Names are unique: the same name with the same
    configuration returns the existing curriculum (200); otherwise 409."""
    live, created = await service.create(body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return curriculum_out(live)


@router.get("")
async def list_curricula(
    service: ServiceDep,
    name: Annotated[str | None, Query(description="only the curriculum of this name")] = None,
) -> CurriculumList:
    found = [await service.current(live.id) for live in service.curricula(name)]
    return CurriculumList(curricula=[curriculum_out(live) for live in found])


@router.get("/{curriculum_id}", responses={404: {"model": ErrorOut}})
async def get_curriculum(curriculum_id: CurriculumId, service: ServiceDep) -> CurriculumOut:
    """Configuration, counts, last fit time, current GMM and mastery summary."""
    return curriculum_out(await service.current(curriculum_id))


@router.delete(
    "/{curriculum_id}", status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorOut}},
)
async def delete_curriculum(curriculum_id: CurriculumId, service: ServiceDep) -> Response:
    """Delete the curriculum and its whole event log (irreversible). Its name becomes
    free; its task ids are never reused."""
    await service.delete(curriculum_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
