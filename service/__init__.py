"""The FastAPI service: routes, auth, dependencies and error mapping."""
