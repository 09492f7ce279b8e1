"""`python -m marketplace_sync run --marketplace shopee`."""

from marketplace_sync.cli import cli

if __name__ == "__main__":
    cli()
