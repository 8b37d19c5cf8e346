"""Persistence: tables, repositories (all queries), engines and migrations.

The only package that imports SQLAlchemy.
"""
