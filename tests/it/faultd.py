#!/usr/bin/env python3
"""faultd.py - the fault-injecting HTTP server of reportpipe's fetch tests.

Usage: faultd.py --dir DIR --seed REPORT.txt [--ports N] [--tls-cert C --tls-key K]

Listens on loopback only: N plain HTTP ports (default 1), each on 127.0.0.1
and on 127.0.0.2 with the same number (a second host for tests of the host
lock), and, with a certificate, one TLS port on 127.0.0.1; the kernel picks
the numbers. When ready it writes DIR/faultd.ports ("plain1 plain2 ...
[tls]") and then logs one JSON line per finished request to DIR/faultd.log:
time, address, port, path, status, bytes sent, User-Agent, If-None-Match,
and how many requests were in flight (on the whole server and on that port)
when it arrived, so that a test can show the concurrency limits held. A
request counts as in flight from its arrival to the start of its answer,
which lies inside the client's transfer. It must never bind anything but
127.0.0.1 and 127.0.0.2, never serve a file outside DIR/pages, and every
loop is bounded in count and time.

Paths (NAME is any file name):
  /robots.txt            disallows /private/ (and /secret for reportpipe)
  /reports/NAME          a report made from the seed; ETag and 304 supported
  /private/NAME          a report, but robots.txt disallows it
  /slow/NAME             a report after 400 ms
  /retry-after/NAME      503 with Retry-After: 2, then the report
  /retry-date/NAME       429 with Retry-After as an HTTP-date 3 s ahead, then the report
  /always500/NAME        500, every time
  /notfound/NAME         404
  /endless               200 without a length, a body that never ends
  /huge                  200, Content-Length 2 GiB, streamed zeros
  /huge-stream           200, 2 GiB without a length (ends with the connection)
  /trickle               200, a byte every half second
  /loop/N                302 to /loop/N+1, forever
  /index/N.html          page N of an index of reports (see index_page)
  /pages/NAME            DIR/pages/NAME as HTML (a page a test wrote; NAME is
                         letters, digits, '.', '-' and '_')
  /redirect/NAME?to=URL  302 to URL, taken as written (not decoded), so that
                         a redirect may lead to another redirect
  /redirect-cred/NAME    302 to /reports/NAME on the same host and port, with
                         the user name "reporter" and password "s3cret-pw"
  /gzip-lie/NAME         a report, sent plain but labelled Content-Encoding: gzip
  /encoding/NAME         a report labelled Content-Encoding: x-unknown
A request in absolute form (GET http://host/path, as to a proxy) is served
by its path, and logged with "proxied" set to the URL asked for.
"""
import argparse
import errno
import hashlib
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STREAM_SECONDS = 60  # no stream outlives this
CHUNK = 64 * 1024
HUGE = 2 * 1024 * 1024 * 1024
ADDRS = ("127.0.0.1", "127.0.0.2")  # every plain port listens on both
PAGE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")

lock = threading.Lock()
active = {"all": 0}
hits = {}
log_fp = None
seed_text = ""
pages_dir = ""


def report_body(name):
    """The seed with one section heading made unique, so each name is its own document."""
    mark = "主要工作及成效"
    text = seed_text.replace(mark, "%s（样本 %s）" % (mark, name), 1)
    return text.encode("utf-8")


def index_page(n, port):
    """Three pages of links: matching reports, others, off-host, javascript: and friends."""
    me = "http://127.0.0.1:%d" % port
    pages = {
        1: [
            '<a href="/reports/fz-1.txt">2020年法治政府建设工作报告</a>',
            '<a href="../reports/fz-2.txt">关于 2021 年度法治政府\n建设情况的报告</a>',
            '<a href="%s/reports/fazhi-3.txt">（全文）</a>' % me,
            '<a href="/reports/fz-4.txt" title="2019年法治政府建设年度报告">2019年法治政府...</a>',
            '<a href="/reports/other-1.txt">政府信息公开工作年度报告</a>',
            '<a href="http://elsewhere.invalid/reports/fz-9.txt">2020年法治政府建设工作报告</a>',
            '<a href="http://localhost:%d/reports/fz-5.txt">2018年法治政府建设工作报告</a>' % port,
            "<a href=\"javascript:openReport('fz-8.txt')\">2021年法治政府建设工作报告</a>",
            '<a href="mailto:fz@example.gov.cn">法治政府建设工作报告意见反馈</a>',
            '<a href="#top">法治政府建设报告 回到顶部</a>',
            '<a href="ftp://127.0.0.1/fz-10.txt">法治政府建设工作报告 ftp</a>',
            '<a href="/index/2.html">下一页</a>',
        ],
        2: [
            '<a href="/reports/fz-1.txt#part2">2020年法治政府建设工作报告（续）</a>',
            '<a href="fz-6.txt">x</a>',
            '<a href="/reports/fazhi-6.txt">2017年法治政府建设工作报告</a>',
            '<a href="/reports/other-2.txt">统计公报</a>',
            '<a href="http://127.0.0.2:%d/reports/fz-11.txt">2016年法治政府建设工作报告</a>' % port,
            '<a href="/index/1.html">首页</a>',
            '<a href="/index/3.html">下一页</a>',
        ],
        3: [
            '<a href="/reports/fazhi-7.txt">2016年法治政府建设工作报告</a>',
            '<a href="javascript:void(0)">2015年法治政府建设工作报告</a>',
            '<a href="/index/4.html">下一页</a>',
        ],
        4: [
            '<a href="/reports/fz-12.txt">2014年法治政府建设工作报告</a>',
        ],
    }
    links = "\n".join("<li>%s</li>" % a for a in pages.get(n, []))
    html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>法治政府建设</title>'
        "</head><body><ul>\n%s\n</ul></body></html>\n" % links
    )
    return html.encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "faultd/1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        self.sent = 0
        self.status = 0
        self.proxied = None
        self.released = True  # nothing counted yet

    def count(self):
        with lock:
            n = hits.get(self.path, 0) + 1
            hits[self.path] = n
            return n

    def release(self):
        """The request stops counting as in flight once its answer starts.

        From arrival to the first byte of the answer lies inside the client's
        own transfer, so the count never exceeds what the client had open (the
        tail of an answer may still be in a socket buffer when the client has
        it all and starts the next request)."""
        if not self.released:
            self.released = True
            port = self.server.server_address[1]
            with lock:
                active["all"] -= 1
                active[port] -= 1

    def head(self, status, headers=(), length=None, ctype="text/plain; charset=utf-8"):
        self.release()
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()

    def write(self, data):
        self.wfile.write(data)
        self.sent += len(data)

    def send_report(self, name, headers=()):
        body = report_body(name)
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
        if self.headers.get("If-None-Match") == etag:
            self.head(304, [("ETag", etag)])
            return
        self.head(200, [("ETag", etag)] + list(headers), len(body))
        self.write(body)

    def send_page(self, name):
        """A page a test wrote in DIR/pages; nothing outside that directory."""
        path = os.path.join(pages_dir, name)
        if not PAGE_NAME.match(name) or not os.path.isfile(path):
            self.head(404, length=9)
            self.write(b"not found")
            return
        with open(path, "rb") as fp:
            body = fp.read()
        self.head(200, length=len(body), ctype="text/html; charset=utf-8")
        self.write(body)

    def stream(self, total, delay=0.0, chunk=CHUNK):
        """Send total bytes (None: no end) until the client goes; bounded by STREAM_SECONDS."""
        zeros = b"0" * chunk
        until = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < until and (total is None or self.sent < total):
            n = chunk if total is None else min(chunk, total - self.sent)
            self.write(zeros[:n])
            if delay:
                self.wfile.flush()
                time.sleep(delay)

    def do_GET(self):
        port = self.server.server_address[1]
        start = time.time()
        with lock:
            active["all"] += 1
            active[port] = active.get(port, 0) + 1
            conc, conc_port = active["all"], active[port]
        self.released = False
        try:
            self.route(port)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            pass  # the client gave up: that is what several tests want
        finally:
            self.release()
            with lock:
                rec = {
                    "t": round(start, 3), "end": round(time.time(), 3),
                    "addr": self.server.server_address[0], "port": port,
                    "path": self.path, "status": self.status, "sent": self.sent,
                    "ua": self.headers.get("User-Agent"),
                    "inm": self.headers.get("If-None-Match"),
                    "ims": self.headers.get("If-Modified-Since"),
                    "conc": conc, "conc_port": conc_port, "proxied": self.proxied,
                }
                log_fp.write(json.dumps(rec, ensure_ascii=False) + "\n")
                log_fp.flush()

    def route(self, port):
        if self.path.startswith("http://"):
            # a proxy's request (absolute form): serve the path, note the proxying
            self.proxied = self.path
            self.path = "/" + self.path.split("/", 3)[3] if self.path.count("/") >= 3 else "/"
        parts = self.path.split("?")[0].split("/")
        kind = parts[1] if len(parts) > 1 else ""
        name = parts[2] if len(parts) > 2 else ""
        if self.path == "/robots.txt":
            body = (b"User-agent: *\nDisallow: /private/\n\n"
                    b"User-agent: reportpipe\nDisallow: /private/\nDisallow: /secret\n")
            self.head(200, length=len(body))
            self.write(body)
        elif kind in ("reports", "private", "secret") and name:
            self.send_report(name)
        elif kind == "slow" and name:
            time.sleep(0.4)
            self.send_report(name)
        elif kind == "retry-after" and name:
            if self.count() == 1:
                self.head(503, [("Retry-After", "2")], 4)
                self.write(b"busy")
            else:
                self.send_report(name)
        elif kind == "retry-date" and name:
            if self.count() == 1:
                when = formatdate(time.time() + 3, usegmt=True)
                self.head(429, [("Retry-After", when)], 4)
                self.write(b"slow")
            else:
                self.send_report(name)
        elif kind == "always500":
            self.head(500, length=4)
            self.write(b"oops")
        elif kind == "endless":
            self.head(200)
            self.stream(None)
        elif kind == "huge":
            self.head(200, length=HUGE)
            self.stream(HUGE)
        elif kind == "huge-stream":
            self.head(200)
            self.stream(HUGE)
        elif kind == "trickle":
            self.head(200, length=10000)
            self.stream(10000, delay=0.5, chunk=1)
        elif kind == "loop":
            n = int(name) if name.isdigit() else 0
            self.head(302, [("Location", "/loop/%d" % (n + 1))], 0)
        elif kind == "pages" and name:
            self.send_page(name)
        elif kind == "redirect" and "?to=" in self.path:
            self.head(302, [("Location", self.path.split("?to=", 1)[1])], 0)
        elif kind == "redirect-cred" and name:
            host = self.headers.get("Host", "%s:%d" % (self.server.server_address[0], port))
            self.head(302, [("Location", "http://reporter:s3cret-pw@%s/reports/%s" % (host, name))], 0)
        elif kind == "gzip-lie" and name:
            self.send_report(name, [("Content-Encoding", "gzip")])
        elif kind == "encoding" and name:
            self.send_report(name, [("Content-Encoding", "x-unknown")])
        elif kind == "index" and name.endswith(".html") and name[:-5].isdigit():
            body = index_page(int(name[:-5]), port)
            self.head(200, length=len(body), ctype="text/html; charset=utf-8")
            self.write(body)
        else:
            self.head(404, length=9)
            self.write(b"not found")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def plain_pair():
    """A server on 127.0.0.1 and one on 127.0.0.2 with the same port (a few tries)."""
    for _ in range(20):
        first = Server((ADDRS[0], 0), Handler)
        try:
            second = Server((ADDRS[1], first.server_address[1]), Handler)
        except OSError as e:
            first.server_close()
            if e.errno != errno.EADDRINUSE:
                raise
            continue
        return [first, second]
    raise OSError(errno.EADDRINUSE, "no port free on both loopback addresses")


def main():
    global log_fp, seed_text, pages_dir
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("--ports", type=int, default=1)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    with open(args.seed, encoding="utf-8") as fp:
        seed_text = fp.read()
    log_fp = open(os.path.join(args.dir, "faultd.log"), "a", encoding="utf-8")
    pages_dir = os.path.join(args.dir, "pages")

    pairs = [plain_pair() for _ in range(max(1, args.ports))]
    servers = [p[0] for p in pairs]
    if args.tls_cert:
        tls = Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
    for s in servers + [p[1] for p in pairs]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ports = " ".join(str(s.server_address[1]) for s in servers)
    tmp = os.path.join(args.dir, "faultd.ports.tmp")
    with open(tmp, "w") as fp:
        fp.write(ports + "\n")
    os.rename(tmp, os.path.join(args.dir, "faultd.ports"))
    try:
        while True:  # until the test harness sends SIGTERM
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
