# One image for web, worker, beat and the one-shot migrate; docker-compose.yml picks the command.
# Stage 1 builds every wheel from the hashed lock (a tampered download fails here); stage 2 installs them into a
# slim runtime without compilers or pip caches, runs as a non-root user and carries the collected static files.

FROM python:3.11-slim AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.lock .
RUN pip wheel --no-cache-dir --require-hashes --wheel-dir /wheels -r requirements.lock

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBUG=False LOG_FORMAT=json \
    LEADSY_VAR_DIR=/app/var STATIC_ROOT=/app/static PROMETHEUS_MULTIPROC_DIR=/app/metrics
RUN useradd --create-home --uid 10001 leadsy
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels /wheels/*.whl
WORKDIR /app
# .dockerignore keeps var/ (databases, private import files), .env*, .venv and .git out of this copy.
COPY . .
# Static files belong to the release: collected here, outside any volume (a volume would keep old ones).
RUN SECRET_KEY=build-only-not-used-at-run-time python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var /app/metrics && chown -R leadsy:leadsy /app/var /app/metrics
USER leadsy
EXPOSE 8000
CMD ["gunicorn", "leadsy.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
