# arxiv-kg: the SPARQL endpoint over a graph built from ai-arxiv records.
#   docker build -t arxiv-kg .
#   docker run -p 8000:8000 arxiv-kg                 # serves the bundled sample
#   docker compose up                                # see docker-compose.yml: builds ./input into a volume
FROM python:3.11-slim AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kg ./kg
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ARG UID=10001
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KG_STORE=/data/kg-store \
    KG_HOST=0.0.0.0 \
    KG_PORT=8000 \
    KG_INPUT_DIR=/input \
    KG_QUERIES_DIR=/app/queries
RUN useradd --create-home --uid "${UID}" --shell /usr/sbin/nologin kg \
 && mkdir -p /data /input /app \
 && chown kg:kg /data
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY queries /app/queries
COPY docker/entrypoint.sh /usr/local/bin/kg-entrypoint
USER kg
WORKDIR /app
# The sample graph baked in: served when no store and no input are mounted.
RUN kg build --store /app/sample-store
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"KG_PORT\", \"8000\")}/health', timeout=4)"
ENTRYPOINT ["kg-entrypoint"]
CMD ["serve"]
