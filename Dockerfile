# bxhours service image: `docker build -t bxhours .` then run with the variables of .env.example
# (README, "Running with Docker"; compose.yaml runs it on PostgreSQL).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY bxhours ./bxhours
COPY bot ./bot
COPY bexio ./bexio
COPY storage ./storage
COPY services ./services
COPY webhooks ./webhooks
COPY core ./core
# constraints.txt pins every runtime dependency to the version the test suite ran with.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite+aiosqlite:////data/bxhours.db
# SQLite keeps its database and its encryption key (bxhours.db.key) in /data: mount a volume there.
RUN useradd --create-home --uid 10001 bxhours \
    && mkdir -p /data && chown bxhours:bxhours /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER bxhours
WORKDIR /home/bxhours
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request, sys; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=4).status == 200 else 1)"
STOPSIGNAL SIGTERM
CMD ["bxhours", "serve"]
