"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from catalogue import create_app

app = create_app()

if app.config["CATALOGUE_ENV"] != "production":  # `flask dev fakes`, `flask dev bank-transfer` (docs/development.md)
    from devtools.fakes import dev_cli

    app.cli.add_command(dev_cli)
