# One image for every pilotflow process: `pilotflow api`, `pilotflow worker`, `pilotflow migrate`.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PILOTFLOW_DATA_DIR=/var/lib/pilotflow

WORKDIR /app

# Dependencies first, at the locked versions (`make lock`), so a code change does not
# reinstall them and every image runs what the tests ran.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY service ./service
COPY cli ./cli
COPY migrations ./migrations
COPY templates ./templates
COPY locales ./locales
COPY static ./static
COPY reference ./reference
# Installed in place: the code finds its templates and migrations beside its packages.
# Compiled here, for the image is read-only to its user and the worker's sandbox imports
# the workflow modules afresh for each workflow it starts (cli/worker.py).
RUN pip install --no-deps -e . \
    && python -m compileall -q core workflows activities service cli \
    && useradd --system --home-dir /var/lib/pilotflow --create-home pilotflow

USER pilotflow
EXPOSE 8000
CMD ["pilotflow", "api"]
