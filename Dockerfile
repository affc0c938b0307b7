FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN STATIC_ROOT=/app/staticfiles SECRET_KEY=build FIELD_ENCRYPTION_KEY=x DATABASE_URL=sqlite:////tmp/build.db ALLOWED_HOSTS=x \
    DJANGO_SETTINGS_MODULE=settings.production SANDBOX_ENABLED=false python manage.py collectstatic --noinput
RUN useradd --create-home connector && chown -R connector /app
USER connector
