"""Flask apps that the end-to-end tests run under a real gunicorn."""
