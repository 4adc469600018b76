#!/usr/bin/env python3
"""Python's own socketserver.ThreadingTCPServer as an echo server: a contender of bench/run.py.

Standard library only. Prints `listening on HOST:PORT` first, like every contender.
The backlog is raised from Python's default of 5 to SOMAXCONN, as the C++ servers use,
so that connection-rate runs measure the server and not SYN retransmissions.
"""
import argparse
import socket
import socketserver


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = socket.SOMAXCONN


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with Server((args.host, args.port), Echo) as server:
        host, port = server.server_address[:2]
        print(f"listening on {host}:{port}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
