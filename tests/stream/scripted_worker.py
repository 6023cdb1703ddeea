"""A worker process with the scripted annotator, for the SIGKILL test: `python -m tests.stream.scripted_worker`.

Settings come as JSON in EMOSTREAM_TEST_SETTINGS; EMOSTREAM_TEST_DELAY_S slows each backend call.
"""

from __future__ import annotations

import asyncio
import os

from stream.logs import setup_logging
from stream.service import serve
from stream.settings import Settings
from tests.fakes import ScriptedAnnotator

if __name__ == "__main__":
    settings = Settings.model_validate_json(os.environ["EMOSTREAM_TEST_SETTINGS"])
    setup_logging("WARNING")
    asyncio.run(
        serve(settings, ScriptedAnnotator(delay_s=float(os.environ.get("EMOSTREAM_TEST_DELAY_S", "0"))))
    )
