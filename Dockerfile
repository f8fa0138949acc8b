# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBUG=False
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home leadsy && mkdir -p var && chown -R leadsy var
USER leadsy
EXPOSE 8000
CMD ["gunicorn", "leadsy.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
