#!/usr/bin/env python3
"""Packaging tests: socketserver as a user's own project sees it.

consumer          `cmake --install` the build tree into a temporary prefix; check the package
                  with a probe project (find_package, targets, version, components); then
                  configure, build and run the project of docs/tutorial.md (its files are
                  extracted from the Markdown, so the tutorial and the test cannot drift
                  apart) on port 0 and talk to it over TCP.
add_subdirectory  configure a project that add_subdirectory()s the source tree: it gets the
                  socketserver:: targets, and none of the tests, examples or install rules.

Every wait has a deadline; nothing sleeps to synchronise. Exit status 0 on success.
"""
import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

COMMAND_TIMEOUT = 240  # seconds, for any one cmake invocation
IO_TIMEOUT = 15        # seconds, for any one wait on the server


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def run(command, **kwargs):
    print("+ " + " ".join(str(c) for c in command), flush=True)
    result = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT,
                            **kwargs)
    if result.returncode != 0:
        print(result.stdout, flush=True)
        fail(f"command exited with status {result.returncode}")
    return result.stdout


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def tutorial_files(source_dir):
    """The files of docs/tutorial.md: each fenced block right after `<!-- file: NAME -->`."""
    text = (source_dir / "docs" / "tutorial.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```[\w+-]*\n(.*?)^```$", text,
                        flags=re.DOTALL | re.MULTILINE)
    files = {name: body for name, body in blocks}
    for required in ("CMakeLists.txt", "main.cpp"):
        if required not in files:
            fail(f"docs/tutorial.md has no block marked <!-- file: {required} -->")
    return files


def configure_args(args):
    """Options that make a consumer build like this build (compiler, sanitizers)."""
    options = ["-G", args.generator, f"-DCMAKE_CXX_COMPILER={args.cxx}"]
    if args.sanitize:
        flags = f"-fsanitize={args.sanitize} -fno-omit-frame-pointer"
        options += [f"-DCMAKE_CXX_FLAGS={flags}", f"-DCMAKE_EXE_LINKER_FLAGS={flags}"]
    return options


# --- Talking to the server -------------------------------------------------------------------

class LineReader:
    """Reads lines from a file descriptor (a pipe or a socket) with a deadline."""

    def __init__(self, fd, what):
        self.fd, self.what, self.buffer = fd, what, b""

    def readline(self, timeout=IO_TIMEOUT):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                fail(f"no complete line from {self.what} within {timeout}s "
                     f"(got {self.buffer!r})")
            data = os.read(self.fd, 65536)
            if not data:
                line, self.buffer = self.buffer, b""
                return line
            self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def read_to_end(self, timeout=IO_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                fail(f"{self.what} did not reach end of stream within {timeout}s")
            data = os.read(self.fd, 65536)
            if not data:
                rest, self.buffer = self.buffer, b""
                return rest
            self.buffer += data


class Client:
    def __init__(self, host, port, name):
        self.sock = socket.create_connection((host, port), timeout=IO_TIMEOUT)
        self.reader = LineReader(self.sock.fileno(), name)

    def send(self, data):
        self.sock.sendall(data)

    def expect_line(self, expected):
        line = self.reader.readline()
        if line != expected:
            fail(f"{self.reader.what}: expected {expected!r}, got {line!r}")

    def expect_end(self):
        rest = self.reader.read_to_end()
        if rest:
            fail(f"{self.reader.what}: expected end of stream, got {rest!r}")

    def close(self):
        self.sock.close()


def talk_to_greeter(program):
    server = subprocess.Popen([str(program), "127.0.0.1:0"], stdout=subprocess.PIPE)
    try:
        out = LineReader(server.stdout.fileno(), "greeter's stdout")
        first = out.readline().decode()
        match = re.fullmatch(r"listening on (127\.0\.0\.1):(\d+)\n", first)
        if not match:
            fail(f"first line of greeter: expected 'listening on 127.0.0.1:PORT', got {first!r}")
        host, port = match.group(1), int(match.group(2))
        if port == 0:
            fail("greeter reported port 0 instead of the port really bound")
        print(f"greeter is listening on {host}:{port}", flush=True)

        # Two clients connected at once, each served while the other stays connected:
        # the server is threaded.
        ada = Client(host, port, "client 1")
        ada.send(b"Ada\n")
        ada.expect_line(b"Hello, Ada! You are visitor 1.\n")
        grace = Client(host, port, "client 2")
        grace.send(b"Grace\r\n")
        grace.expect_line(b"Hello, Grace! You are visitor 2.\n")
        ada.send(b"Lovelace\n")
        ada.expect_line(b"Hello, Lovelace! You are visitor 1.\n")

        # A line that arrives in pieces is still one line; `bye` ends the conversation.
        grace.send(b"Hop")
        grace.send(b"per\nbye\n")
        grace.expect_line(b"Hello, Hopper! You are visitor 2.\n")
        grace.expect_end()
        grace.close()

        # Closing our side (half-close) ends the handler's rfile.lines() loop.
        ada.sock.shutdown(socket.SHUT_WR)
        ada.expect_end()
        ada.close()

        # A client written the way the Python tutorials write them: UTF-8 passes through.
        with socket.create_connection((host, port), timeout=IO_TIMEOUT) as s:
            s.sendall("Olá\n".encode("utf-8"))
            reply = LineReader(s.fileno(), "client 3").readline()
            if reply.decode("utf-8") != "Hello, Olá! You are visitor 3.\n":
                fail(f"client 3: unexpected reply {reply!r}")

        # Ctrl+C: serve_forever() returns and main() ends with status 0.
        server.send_signal(signal.SIGINT)
        rest = out.read_to_end().decode()
        try:
            status = server.wait(timeout=IO_TIMEOUT)
        except subprocess.TimeoutExpired:
            fail(f"greeter still running {IO_TIMEOUT}s after SIGINT")
        if status != 0:
            fail(f"greeter exited with status {status} after SIGINT")
        for visitor in (1, 2, 3):
            if f" connected, visitor {visitor}\n" not in rest:
                fail(f"greeter did not log visitor {visitor}; its output was:\n{rest}")
        if rest.count(" left\n") != 3:
            fail(f"greeter should log 3 clients leaving; its output was:\n{rest}")
        print("greeter served 3 clients and stopped on SIGINT with status 0", flush=True)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


# --- The tests -------------------------------------------------------------------------------

PROBE_CMAKELISTS = r"""
cmake_minimum_required(VERSION 3.21)
project(probe LANGUAGES CXX)
find_package(socketserver 0.1 CONFIG REQUIRED COMPONENTS @COMPONENTS@)
if(NOT socketserver_VERSION VERSION_EQUAL "@VERSION@")
  message(FATAL_ERROR "found socketserver ${socketserver_VERSION}, expected @VERSION@")
endif()
string(FIND "${socketserver_DIR}" "@PREFIX@/" position)
if(NOT position EQUAL 0)
  message(FATAL_ERROR "found socketserver in ${socketserver_DIR}, not in @PREFIX@")
endif()
foreach(target IN ITEMS @TARGETS@)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "find_package(socketserver) did not define ${target}")
  endif()
endforeach()
# A newer minor version must not be accepted (0.x: minor versions may break the API).
find_package(socketserver 0.99 CONFIG QUIET)
if(socketserver_FOUND)
  message(FATAL_ERROR "find_package(socketserver 0.99) accepted version ${socketserver_VERSION}")
endif()
# The core links no Boost.Program_options: only socketserver::command_line brings it.
get_target_property(core_links socketserver::socketserver INTERFACE_LINK_LIBRARIES)
if(core_links MATCHES "program_options")
  message(FATAL_ERROR "socketserver::socketserver links Program_options: ${core_links}")
endif()
get_target_property(command_line_links socketserver::command_line INTERFACE_LINK_LIBRARIES)
if(NOT command_line_links MATCHES "Boost::program_options")
  message(FATAL_ERROR "socketserver::command_line does not link Program_options: ${command_line_links}")
endif()
message(STATUS "probe: socketserver ${socketserver_VERSION}: @TARGETS@")
"""


def consumer_test(args):
    work = fresh_dir(args.work_dir)
    prefix = work / "prefix"
    run([args.cmake, "--install", args.build_dir, "--prefix", prefix])
    for header in ("socketserver.hpp", "version.hpp", "stream_request_handler.hpp", "command_line.hpp"):
        if not (prefix / "include" / "socketserver" / header).is_file():
            fail(f"the install has no include/socketserver/{header}")
    if list(prefix.rglob("*.in")):
        fail(f"the install holds template files: {list(prefix.rglob('*.in'))}")

    # The package itself: version, targets, components, prefix.
    targets = ["socketserver::socketserver", "socketserver::command_line"]
    components = ["socketserver", "command_line"]
    if args.expect_handlers:
        targets.append("socketserver::handlers")
        components.append("handlers")
    probe = fresh_dir(work / "probe")
    (probe / "CMakeLists.txt").write_text(
        PROBE_CMAKELISTS.replace("@COMPONENTS@", " ".join(components))
        .replace("@VERSION@", args.version).replace("@PREFIX@", str(prefix))
        .replace("@TARGETS@", " ".join(targets)))
    run([args.cmake, "-S", probe, "-B", probe / "build", f"-DCMAKE_PREFIX_PATH={prefix}"]
        + configure_args(args))

    # The tutorial's project, built the way the tutorial builds it.
    app = fresh_dir(work / "greeter")
    for name, body in tutorial_files(args.source_dir).items():
        (app / name).write_text(body, encoding="utf-8")
    run([args.cmake, "-S", app, "-B", app / "build", f"-DCMAKE_PREFIX_PATH={prefix}"]
        + configure_args(args))
    cache = (app / "build" / "CMakeCache.txt").read_text()
    if f"socketserver_DIR:PATH={prefix}/" not in cache:
        fail("the tutorial's project did not find socketserver in the temporary prefix")
    run([args.cmake, "--build", app / "build", "-j", "2"])
    talk_to_greeter(app / "build" / "greeter")


PARENT_CMAKELISTS = r"""
cmake_minimum_required(VERSION 3.21)
project(parent LANGUAGES CXX)
add_subdirectory("@SOURCE@" socketserver)
foreach(target IN ITEMS @TARGETS@)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "add_subdirectory(socketserver) did not define ${target}")
  endif()
endforeach()
foreach(option IN ITEMS SOCKETSERVER_BUILD_TESTS SOCKETSERVER_BUILD_EXAMPLES
                        SOCKETSERVER_BUILD_BENCH SOCKETSERVER_INSTALL SOCKETSERVER_WERROR)
  if(${option})
    message(FATAL_ERROR "${option} is on in a project that is not top level")
  endif()
endforeach()
foreach(target IN ITEMS test_smoke echo_server)
  if(TARGET ${target})
    message(FATAL_ERROR "add_subdirectory(socketserver) added ${target}")
  endif()
endforeach()
add_executable(app main.cpp)
target_link_libraries(app PRIVATE @TARGETS@)
"""


def add_subdirectory_test(args):
    work = fresh_dir(args.work_dir)
    parent = fresh_dir(work / "parent")
    targets = ["socketserver::socketserver", "socketserver::command_line"] + (
        ["socketserver::handlers"] if args.expect_handlers else [])
    (parent / "CMakeLists.txt").write_text(
        PARENT_CMAKELISTS.replace("@SOURCE@", str(args.source_dir))
        .replace("@TARGETS@", " ".join(targets)))
    (parent / "main.cpp").write_text("#include <socketserver/socketserver.hpp>\nint main() {}\n")
    # Configuring is the test: the build itself is the same as the main build's.
    run([args.cmake, "-S", parent, "-B", parent / "build"] + configure_args(args))
    print("add_subdirectory: targets present, tests/examples/install rules absent", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("test", choices=["consumer", "add_subdirectory"])
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--cxx", default="c++")
    parser.add_argument("--generator", default="Unix Makefiles")
    parser.add_argument("--sanitize", default="")
    parser.add_argument("--version", required=True)
    parser.add_argument("--expect-handlers", type=int, default=1)
    args = parser.parse_args()
    if args.test == "consumer":
        consumer_test(args)
    else:
        add_subdirectory_test(args)
    print("OK", flush=True)


if __name__ == "__main__":
    main()
