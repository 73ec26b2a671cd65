"""Starting the API with uvicorn (``bot serve``).

With one worker the app runs in this process, and SIGHUP reloads the index in place (see the
lifespan in api.py). With several workers uvicorn supervises them; each loads its own model,
and SIGHUP to the supervisor restarts the workers one after another.
"""

from __future__ import annotations

import os

from .settings import Settings


def serve(settings: Settings, host: str | None = None, port: int | None = None,
          workers: int | None = None, log_level: str = "info") -> None:
    """Run the API until interrupted; arguments override the settings."""
    import uvicorn

    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    if workers == 1:
        from .api import create_app

        # the app needs the real host: /mcp guards against DNS rebinding only on loopback
        settings = settings.model_copy(update={"host": host, "port": port})
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level,
                    timeout_graceful_shutdown=10)
    else:  # worker processes import the factory and read the same SANAD_* settings
        os.environ["SANAD_HOST"], os.environ["SANAD_PORT"] = host, str(port)
        uvicorn.run("bot.api:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, timeout_graceful_shutdown=10)
