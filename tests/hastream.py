"""A long-lived TCP stream for the HA lab (tests/halab.py), standard library only, bounded in time.

    hastream.py serve ADDRESS PORT SECONDS REPORT    the partner: echo every connection, record its peer
                                                     (prints "listening" once it accepts connections)
    hastream.py send ADDRESS PORT SECONDS INTERVAL REPORT   the client: a sequence number every INTERVAL s

Each writes a JSON report when it ends. The server records each connection's peer address (the source the
partner sees) and whether it ended in a reset; the client how many numbers it sent and got back, in order,
the largest gap between two echoes, and the error that ended it, if any (a reset is one). SIGTERM ends the
client's stream before its time, cleanly (its report is written as at the end).
"""

import json
import signal
import socket
import struct
import sys
import threading
import time


def serve(address, port, seconds, report):
    deadline = time.monotonic() + seconds
    listener = socket.create_server((address, port), reuse_port=False)
    listener.settimeout(0.5)
    print("listening", flush=True)  # the client may connect now (halab.Stream waits for this line)
    connections, threads = [], []

    def handle(sock, peer):
        entry = {"peer": peer[0], "port": peer[1], "received": 0, "reset": False, "error": None}
        connections.append(entry)
        sock.settimeout(1.0)
        try:
            while time.monotonic() < deadline:
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                if not data:
                    break
                entry["received"] += len(data) // 4
                sock.sendall(data)
        except ConnectionResetError as error:
            entry["reset"], entry["error"] = True, str(error)
        except OSError as error:
            entry["error"] = f"{type(error).__name__}: {error}"
        finally:
            sock.close()

    while time.monotonic() < deadline:
        try:
            sock, peer = listener.accept()
        except TimeoutError:
            if connections and all(not thread.is_alive() for thread in threads):
                break  # every connection ended
            continue
        thread = threading.Thread(target=handle, args=(sock, peer), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    listener.close()
    with open(report, "w", encoding="utf-8") as handle_file:
        json.dump({"connections": connections}, handle_file)


def send(address, port, seconds, interval, report):
    result = {"sent": 0, "echoed": 0, "in_order": True, "error": None, "max_gap_s": 0.0, "gaps": [], "local": None}
    sock = socket.create_connection((address, port), timeout=5)
    result["local"] = sock.getsockname()[0]
    done = threading.Event()

    def receive():
        buffer, expected, last = b"", 0, time.monotonic()
        sock.settimeout(0.5)
        while not (done.is_set() and expected >= result["sent"]):
            try:
                data = sock.recv(4096)
            except TimeoutError:
                if done.is_set() and time.monotonic() - last > 15:
                    break
                continue
            except OSError as error:
                result["error"] = result["error"] or f"{type(error).__name__}: {error}"
                break
            if not data:
                result["error"] = result["error"] or "closed by the partner"
                break
            buffer += data
            while len(buffer) >= 4:
                (number,), buffer = struct.unpack("!I", buffer[:4]), buffer[4:]
                result["in_order"] = result["in_order"] and number == expected
                expected += 1
                now = time.monotonic()
                gap, last = now - last, now
                result["gaps"] = sorted(result["gaps"] + [round(gap, 4)], reverse=True)[:5]
                result["echoed"] = expected

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    deadline = time.monotonic() + seconds
    finishing = threading.Event()
    # SIGTERM ends the stream early, as its time running out does: the last numbers are echoed, the report written.
    signal.signal(signal.SIGTERM, lambda *_: finishing.set())
    try:
        while time.monotonic() < deadline and result["error"] is None and not finishing.is_set():
            sock.sendall(struct.pack("!I", result["sent"]))
            result["sent"] += 1
            time.sleep(interval)
    except OSError as error:
        result["error"] = f"{type(error).__name__}: {error}"
    done.set()
    receiver.join(timeout=20)
    sock.close()
    result["max_gap_s"] = result["gaps"][0] if result["gaps"] else 0.0
    with open(report, "w", encoding="utf-8") as handle_file:
        json.dump(result, handle_file)


def main(argv):
    if argv[0] == "serve":
        serve(argv[1], int(argv[2]), float(argv[3]), argv[4])
    elif argv[0] == "send":
        send(argv[1], int(argv[2]), float(argv[3]), float(argv[4]), argv[5])
    else:
        raise SystemExit("usage: hastream.py serve|send ...")


if __name__ == "__main__":
    main(sys.argv[1:])
