"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from catalogue import create_app

app = create_app()
