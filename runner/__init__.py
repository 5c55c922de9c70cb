"""Running calls: the engine, the carriers' dialects, the server, the store and the CLI.

Nothing is imported here: ``import runner.types`` must not start the server's imports
(uvicorn, Starlette, httpx). The command line is ``runner.cli``.
"""

from __future__ import annotations

__all__: list[str] = []
