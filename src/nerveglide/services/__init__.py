"""Use cases. Each owns its transaction through a unit of work; none imports FastAPI."""
