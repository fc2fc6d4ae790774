"""An export as an HTTP download, for the API's routes and the pages alike."""

from fastapi.responses import StreamingResponse

from service.use_cases.exports import Export


def streamed(export: Export) -> StreamingResponse:
    """The export as a download, written out as its chunks come."""
    disposition = f'attachment; filename="{export.filename}"'
    return StreamingResponse(
        export.body, media_type=export.media_type, headers={"Content-Disposition": disposition}
    )
