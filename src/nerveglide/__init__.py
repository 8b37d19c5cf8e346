"""nerveglide: a coach for sciatic nerve-gliding exercises."""

__version__ = "0.1.0"
