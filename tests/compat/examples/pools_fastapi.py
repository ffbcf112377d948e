# Port of the "FastAPI Integration with Pools" example of sdk-python/docs/connection-pools.md
# (BigKAA/topologymetrics, tag sdk-python/v0.8.2, Apache License 2.0). Changed: the dephealth
# imports only (it already reads its addresses from the environment).
# ruff: noqa
# fmt: off
import os
import asyncpg
from redis.asyncio import Redis
from contextlib import asynccontextmanager
from fastapi import FastAPI

from dephealth_core import DependencyHealth, postgres_check, redis_check
from dephealth_starlette import DepHealthMiddleware, dependencies_router

@asynccontextmanager
async def lifespan(app: FastAPI):
    # Create pools
    pg_pool = await asyncpg.create_pool(os.environ["DATABASE_URL"])
    redis_client = Redis.from_url(os.environ["REDIS_URL"])

    # Create and start dephealth
    dh = DependencyHealth("my-service", "my-team",
        postgres_check("postgres", pool=pg_pool, critical=True),
        redis_check("redis", client=redis_client, critical=False),
    )
    await dh.start()
    app.state.dephealth = dh
    app.state.pg_pool = pg_pool
    app.state.redis = redis_client

    yield

    # Cleanup
    await dh.stop()
    redis_client.close()
    await pg_pool.close()

app = FastAPI(lifespan=lifespan)
app.add_middleware(DepHealthMiddleware)
app.include_router(dependencies_router)
