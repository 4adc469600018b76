#!/usr/bin/env python3
"""Python's own socketserver.ForkingTCPServer as an echo server: a contender of bench/run.py.

Standard library only. Prints `listening on HOST:PORT` first, like every contender.
The backlog is raised from Python's default of 5 to SOMAXCONN, as the C++ servers use;
--max-children (Python's default: 40) is set by bench/run.py to the same value it gives
echo_server, so that no pingpong connection waits for a free child.
"""
import argparse
import socket
import socketserver


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True
    request_queue_size = socket.SOMAXCONN


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-children", type=int, default=40)
    args = parser.parse_args()
    Server.max_children = args.max_children
    with Server((args.host, args.port), Echo) as server:
        host, port = server.server_address[:2]
        print(f"listening on {host}:{port}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
