"""Repositories: every database query lives here, one module per aggregate."""
