"""Developer tools: never imported by the app in production (wsgi.py registers `flask dev` outside it)."""
