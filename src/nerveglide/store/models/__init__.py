"""All tables, one module each. Importing this package registers them on ``Base.metadata``.

Add every new model module here, so Alembic's autogenerate and the tests see it.
"""

from nerveglide.store.models.content_release import ContentRelease

__all__ = ["ContentRelease"]
