"""The web front end: server-rendered pages, a small JSON API and static assets."""
