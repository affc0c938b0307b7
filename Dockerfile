FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files do not depend on secrets: collect them with the development settings (no sandbox app) and
# a throwaway VAR_DIR, so no generated secret stays in the image. settings.production needs the real .env.
RUN STATIC_ROOT=/app/staticfiles VAR_DIR=/tmp/build-var DJANGO_SETTINGS_MODULE=settings.local SANDBOX_ENABLED=false \
    python manage.py collectstatic --noinput && rm -rf /tmp/build-var
RUN useradd --create-home connector && chown -R connector /app
USER connector
