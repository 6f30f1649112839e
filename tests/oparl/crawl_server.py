"""Serves a saved OParl crawl over HTTP the way its server did, for the importer's tests.

Usage: crawl_server.py <crawl.tar.gz> [--quirks] [--files]

Prints the base URL it listens on (http://127.0.0.1:<port>) on the first line of stdout and
serves until killed. Every JSON document has the original server's origin replaced by ours.
Lists answer `?page=N` from `<list>_page-N.json` (`<list>.json` is page 1), 25 objects a page
as the original; objects answer at their own URL when the crawl holds them.

With --quirks it also behaves like the SD.NET server at its worst (QUIRKS.md): a list with a
`modified_since` window answers 404 with code 802 instead of an empty page, and of the objects
linked but not listed, one answers, one answers invalid JSON and one fails with 503 once.

With --files the files' `accessUrl` and `downloadUrl` answer with a small PDF of their own
(the crawl holds no bytes): for the importer's `--files download` and its benchmark.
"""

import io
import json
import re
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ORIGIN = "https://sdnetrim.kdvz-frechen.de"


def load(path):
    files = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".json"):
                name = member.name[2:] if member.name.startswith("./") else member.name
                files[name] = tar.extractfile(member).read().decode("utf-8")
    return files


def pdf(title, size=24_000):
    """A valid one-page PDF naming `title`, padded with a comment to about `size` bytes."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 12 Tf 72 720 Td (" + text.replace(b"(", b"[").replace(b")", b"]") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%" + b"x" * max(0, size - 600) + b"\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for o in offsets:
        out += f"{o:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class Crawl:
    def __init__(self, files, base, quirks, serve_files=False):
        self.quirks = quirks
        self.serve_files = serve_files
        self.docs = {name: text.replace(ORIGIN, base) for name, text in files.items()}
        self.root = None
        self.objects = {}
        self.failed_once = set()
        self.lock = threading.Lock()
        system = json.loads(self.docs["system.json"])
        self.root = urlsplit(system["id"]).path.rsplit("/system", 1)[0]
        for name, text in self.docs.items():
            if name.startswith("_"):
                continue
            doc = json.loads(text)
            for obj in doc.get("data", []) if isinstance(doc, dict) else []:
                if isinstance(obj, dict) and obj.get("id"):
                    self.objects[urlsplit(obj["id"]).path] = json.dumps(obj, ensure_ascii=False)
        # Objects linked but not listed. The crawl does not hold them; with --quirks three of
        # them answer: one properly, one with invalid JSON, one with a 503 before it does.
        missing = json.loads(self.docs.get("_validator_missing_ids.json", "{}"))
        locations = sorted(urlsplit(u).path for u in missing if "/location/" in u)
        self.extra = {}
        self.broken = set()
        self.flaky = None
        if quirks and len(locations) >= 3:
            for path in (locations[0], locations[2]):
                self.extra[path] = json.dumps({
                    "id": base + path, "type": "https://schema.oparl.org/1.0/Location",
                    "description": "Nachgereichter Ort", "locality": "Hürtgenwald"})
            self.broken.add(locations[1])
            self.flaky = locations[2]

    def answer(self, path, query):
        """Returns (status, body) for a GET."""
        if not path.startswith(self.root + "/"):
            return 404, {"error": "not found"}
        rest = path[len(self.root) + 1:]
        if self.serve_files and re.fullmatch(r"body/\d+/files/.+\.pdf", rest):
            return 200, pdf(rest.rsplit("/", 1)[-1])
        if rest == "system":
            return 200, self.docs["system.json"]
        lists = {"body": "body.json"}
        match = re.fullmatch(r"body/(\d+)/(\w+)", rest)
        if rest in lists or match:
            if self.quirks and "modified_since" in query:
                return 404, {"error": "Die angeforderte Ressource wurde nicht gefunden.",
                             "code": 802, "type": "SD.NET RIM Webservice"}
            page = int(query.get("page", ["1"])[0])
            stem = lists.get(rest, rest + ".json")[:-5]
            name = stem + ".json" if page == 1 else f"{stem}_page-{page}.json"
            if name in self.docs:
                return 200, self.docs[name]
            return 404, {"error": "not found"}
        if path in self.broken:
            return 200, '{"id": "broken", "name": "unterminated\x01'
        if path == self.flaky:
            with self.lock:
                first = path not in self.failed_once
                self.failed_once.add(path)
            if first:
                return 503, "<html>Service Unavailable</html>"
        if path in self.extra:
            return 200, self.extra[path]
        if path in self.objects:
            return 200, self.objects[path]
        return 404, {"error": "not found"}


def main():
    quirks = "--quirks" in sys.argv
    serve_files = "--files" in sys.argv
    files = load(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    crawl = Crawl(files, base, quirks, serve_files)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            status, body = crawl.answer(parts.path, parse_qs(parts.query))
            if isinstance(body, bytes):
                data, kind = body, "application/pdf"
            else:
                data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
                kind = "text/html" if data.startswith(b"<") else "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server.RequestHandlerClass = Handler
    print(base + crawl.root + "/system", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
