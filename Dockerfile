# The same steps as the README: a virtualenv, an editable install, migrate, serve.
FROM python:3.11-slim
WORKDIR /srv/rendezvous
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RENDEZVOUS_DATABASE_URL=sqlite+aiosqlite:////data/rendezvous.db
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -e . \
    && useradd --system --uid 10001 rendezvous && mkdir /data && chown rendezvous /data
USER rendezvous
VOLUME /data
EXPOSE 8000
CMD ["sh", "-c", ".venv/bin/rendezvous migrate && exec .venv/bin/rendezvous serve --host 0.0.0.0 --port 8000"]
