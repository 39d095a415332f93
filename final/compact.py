"""``python -m final.compact``: compact the containers of the data server whose ``STORAGE_ROOT``
it is given (a data server also does it by itself, every ``COMPACT_INTERVAL`` seconds).

When that data server is running (it holds ``containers/LOCK``), the tool asks it to compact now
(``POST /containers/?compact`` on ``LISTEN_ADDRESS``); otherwise it opens the containers itself,
compacts every one whose dead bytes pass ``COMPACT_RATIO``, saves the index and closes them. It
prints what was done as JSON; exit 1 when it could not.
"""
import json
import logging
import sys

from chapter01_single.durable import Durability
from chapter02_distributed.common.objectstream import request, url
from final import config as settings
from final.containers import compaction
from final.containers.store import ContainerStore
from final.ops.logs import setup_logging

log = logging.getLogger("compact")


def compact(config: dict) -> dict:
    store = ContainerStore(config["STORAGE_ROOT"], config["CONTAINER_SIZE"], Durability(config["FSYNC"]))
    try:
        store.start()
    except RuntimeError:                     # the data server has the containers: it compacts them
        log.info("the data server at %s holds the containers: asking it", config["LISTEN_ADDRESS"])
        response = request("POST", url(config["LISTEN_ADDRESS"], "containers", "") + "?compact", timeout=(3, 3600))
        response.close()
        if response.status_code != 200:
            raise OSError(f"the data server answered {response.status_code}: {response.text[:200]}")
        return response.json()
    try:
        done = [compaction.compact(store, cid) for cid in compaction.candidates(store, config["COMPACT_RATIO"])]
        return {"compacted": done, "stats": vars(store.stats())}
    finally:
        store.close()


def main() -> int:
    setup_logging(settings.load())
    try:
        print(json.dumps(compact(settings.load()), indent=1))
        return 0
    except Exception as error:
        log.error("failed: %s", error, exc_info=not isinstance(error, (OSError, ValueError)))
        return 1


if __name__ == "__main__":
    sys.exit(main())
