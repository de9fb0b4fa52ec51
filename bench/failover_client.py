"""A steady request stream to the partner API, run inside the lab's app container.

  python3 failover_client.py URL SECONDS SPACING_MS TIMEOUT_MS

Sends one HTTP request every SPACING_MS (each in its own thread, so a hanging
request never delays the next), gives each TIMEOUT_MS (shorter than TCP's
first SYN retransmission, so a request is answered on its first attempt or
not at all), and prints one JSON line per request: when it was sent (seconds
from the start), whether it was answered and which address the partner saw.
Python standard library only (the lab image has nothing else).
"""

import json
import sys
import threading
import time
import urllib.request


def one_request(url, timeout, started, results, index):
    sent = time.monotonic() - started
    client = None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (lab URL)
            client = json.loads(response.read())["client"]
    except (OSError, ValueError, KeyError):
        pass
    results[index] = {"sent": round(sent, 4), "client": client}


def main():
    url, seconds, spacing_ms, timeout_ms = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    count = int(seconds * 1000 / spacing_ms)
    results = [None] * count
    threads = []
    started = time.monotonic()
    for index in range(count):
        delay = started + index * spacing_ms / 1000 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one_request, args=(url, timeout_ms / 1000, started, results, index))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
