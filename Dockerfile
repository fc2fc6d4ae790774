# One image for every pilotflow process: `pilotflow api`, `pilotflow worker`, `pilotflow migrate`.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PILOTFLOW_DATA_DIR=/var/lib/pilotflow

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

COPY README.md ./
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY service ./service
COPY cli ./cli
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# Installed in place: the code finds its templates and migrations beside its packages.
RUN pip install --no-deps -e . \
    && useradd --system --home-dir /var/lib/pilotflow --create-home pilotflow

USER pilotflow
EXPOSE 8000
CMD ["pilotflow", "api"]
