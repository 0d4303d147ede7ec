"""A farm of synthetic feeds for polling benchmarks, served from its own process.

`write_farm(folder, feeds, items)` writes RSS 2.0 feeds of about 120 KB each
(50 items of ~2.4 KB text); `python benchmarks/feedfarm.py FOLDER PORTS`
serves that folder on 127.0.0.1 from PORTS ports at once (as many sites;
a feed reader's per-host limit applies per site) with ETag and Last-Modified
(304 on a match), and prints the ports on one line. The texts are generated
word salad, not anyone's writing.
"""

from __future__ import annotations

import hashlib
import random
import sys
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WORDS = (
    "ministry officials said talks border regional council harbour markets rain "
    "festival river bridge schools budget trade rail power grid court election "
    "farmers prices museum season coast storm police hospital report weekly"
).split()
LAST_MODIFIED = formatdate(1795000000, usegmt=True)


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def _item(rng: random.Random, feed: int, n: int) -> str:
    body = " ".join(_sentence(rng) for _ in range(25))
    title = _sentence(rng)[:70]
    return (
        f"<item><title>{title}</title>"
        f"<link>https://farm{feed}.example/story/{n}</link>"
        f'<guid isPermaLink="false">farm{feed}-{n}</guid>'
        f"<pubDate>{formatdate(1795000000 - n * 3600, usegmt=True)}</pubDate>"
        f"<description>{body}</description></item>"
    )


def write_farm(folder: Path, feeds: int = 200, items: int = 50) -> list[str]:
    """Write the feeds; return their file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for feed in range(feeds):
        rng = random.Random(feed)
        entries = "".join(_item(rng, feed, n) for n in range(items))
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Farm feed {feed}</title><link>https://farm{feed}.example/</link>"
            f"{entries}</channel></rss>"
        )
        name = f"feed{feed:03}.xml"
        (folder / name).write_text(xml, encoding="utf-8")
        names.append(name)
    return names


def serve(folder: Path, ports: int) -> None:
    """Serve `folder` from `ports` servers until killed; print the ports first."""
    files = {f"/{p.name}": p.read_bytes() for p in folder.glob("*.xml")}
    tags = {path: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for path, body in files.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            if self.headers.get("If-None-Match") == tags[self.path]:
                self.send_response(304)
                self.send_header("ETag", tags[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", tags[self.path])
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(ports)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
