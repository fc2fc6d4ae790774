"""Every answer carries its request id: the caller's if it is plain, else a fresh one."""

from httpx import AsyncClient


async def test_each_request_gets_its_own_id(client: AsyncClient) -> None:
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert first != second and len(first) == 32


async def test_a_plain_caller_id_is_kept_and_a_strange_one_replaced(client: AsyncClient) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})
    assert kept.headers["x-request-id"] == "lb-7f3a9c2e-0001"
    for strange in ("short", "x" * 65, "id with spaces", "<script>"):
        response = await client.get("/api/v1/nothing-here", headers={"X-Request-ID": strange})
        assert response.headers["x-request-id"] != strange
