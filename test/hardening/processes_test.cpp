// The real example servers under hostile conditions: resets and SIGPIPE, descriptor
// exhaustion, children killed with SIGKILL, SIGINT/SIGTERM during load (graceful drain).
#define BOOST_TEST_MODULE hardening_processes
#include <boost/test/unit_test.hpp>

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "hardening_support.hpp"

using namespace hardening;
using test_support::eventually;

namespace {

using test_support::all_modes;
using test_support::in_process_modes;
using test_support::ModeCase;

constexpr double slack = 2.5;

// Orphans of the servers we start would become our children (and our zombies), so the
// tests can see a server that left children behind.
struct Subreaper {
  Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
};
BOOST_TEST_GLOBAL_FIXTURE(Subreaper);

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

} // namespace

BOOST_AUTO_TEST_CASE(resets_and_broken_pipes_never_kill_the_server) {
  const std::string big(16 << 20, 'p');
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      // The test's ChildProcess restores SIGPIPE's default action before exec: a write to
      // a reset connection would kill the server unless it protects itself.
      ExampleServer server("echo_server", mode.args({"--timeout", "10"}));
      for (int round = 0; round < 3; ++round) {
        {  // mid-request: data, then RST
          RawClient client(server.address());
          BOOST_TEST(client.send_all("half a request"));
          client.reset();
        }
        {  // mid-response: the server echoes into a connection that stops reading, then RST
          RawClient client(server.address());
          std::size_t sent = client.send_some(big, 500ms);
          BOOST_TEST(sent > 0u);
          client.reset();
        }
        BOOST_TEST(echoes(server.address()));
      }
      BOOST_TEST(!server.process().wait(0s).has_value());  // still running
      BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
      std::string errors = server.stderr_text();
      BOOST_TEST(errors.find("signal 13") == std::string::npos);
      BOOST_TEST(errors.find("Broken pipe") == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_forked_child_killed_with_sigkill_is_reaped_and_logged) {
  ExampleServer server("echo_server", {"--mode", "forking", "--timeout", "10"});
  RawClient victim(server.address());
  BOOST_TEST(victim.send_all("hello"));
  BOOST_TEST(victim.receive_exactly(5, 10s).data == "hello");
  auto children = live_children_of(server.pid());
  BOOST_TEST_REQUIRE(children.size() == 1u);
  RawClient bystander(server.address());
  BOOST_TEST(bystander.send_all("still here"));
  BOOST_TEST(bystander.receive_exactly(10, 10s).data == "still here");

  ::kill(children.front(), SIGKILL);
  BOOST_TEST(victim.wait_closed(10s));
  BOOST_TEST(echoes(server.address()));
  BOOST_TEST(bystander.send_all(" again"));  // another client's child is not disturbed
  BOOST_TEST(bystander.receive_exactly(6, 10s).data == " again");
  bystander.half_close();
  BOOST_TEST(bystander.wait_closed(10s));
  BOOST_TEST(eventually([&] {
    return live_children_of(server.pid()).empty() && zombie_children_of(server.pid()) == 0;
  }));
  BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
  std::string errors = server.stderr_text();
  BOOST_TEST(errors.find("child " + std::to_string(children.front()) + " killed by signal 9") != std::string::npos,
             errors);
}

BOOST_AUTO_TEST_CASE(sigterm_during_load_drains_in_flight_requests_until_the_deadline_then_exits_0) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      test_support::TempDir dir;
      std::string path = dir.file("echo.sock");
      ExampleServer server("echo_server", mode.args({"--unix", path, "--drain-timeout", "2"}));
      // A sync server serves one connection at a time: there, only the one cut at the deadline.
      bool concurrent = !(mode == socketserver::Mode::sync);

      std::optional<RawClient> active;  // in flight, and will finish during the drain
      if (concurrent) {
        active.emplace(server.address());
        BOOST_TEST(active->send_all("one"));
        BOOST_TEST(active->receive_exactly(3, 10s).data == "one");
      }
      RawClient idle(server.address());  // in flight, and will not finish: cut at the deadline
      BOOST_TEST(idle.send_all("idle"));
      BOOST_TEST(idle.receive_exactly(4, 10s).data == "idle");

      auto signalled = Clock::now();
      server.process().send_signal(SIGTERM);
      // Stops accepting at once: the socket file goes away.
      BOOST_TEST(eventually([&] { return !std::filesystem::exists(path); }, 5s));
      if (active) {  // the in-flight request goes on being served
        BOOST_TEST(active->send_all("two"));
        BOOST_TEST(active->receive_exactly(3, 10s).data == "two");
        active->half_close();
        BOOST_TEST(active->wait_closed(10s));
      }

      BOOST_TEST(idle.wait_closed(Seconds(2 + slack)));
      double cut_after = seconds_since(signalled);
      BOOST_TEST_MESSAGE("idle client cut " << cut_after << " s after SIGTERM");
      BOOST_TEST(cut_after >= 1.5);
      auto status = server.process().wait(Seconds(2 + slack));
      BOOST_TEST(status.value_or(-1) == 0);
      BOOST_TEST_MESSAGE("exited " << seconds_since(signalled) << " s after SIGTERM");
      BOOST_TEST(!std::filesystem::exists(path));
      // No child left behind: orphans would have become ours.
      BOOST_TEST(eventually([] { return live_children_of(::getpid()).empty(); }, 2s));
      BOOST_TEST(zombie_children_of(::getpid()) == 0u);
      if (mode == socketserver::Mode::forking)
        BOOST_TEST(server.stderr_text().find("killed by signal 15") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(sigint_during_load_exits_0_as_soon_as_the_in_flight_requests_are_done) {
  for (const ModeCase& mode : all_modes) {
    BOOST_TEST_CONTEXT("mode " << mode) {
      ExampleServer server("echo_server", mode.args({"--workers", "16", "--drain-timeout", "20"}));
      std::vector<std::unique_ptr<RawClient>> clients;
      std::size_t in_flight = mode == socketserver::Mode::sync ? 1 : 8;  // sync serves one at a time
      for (std::size_t i = 0; i < in_flight; ++i) {
        clients.push_back(std::make_unique<RawClient>(server.address()));
        BOOST_TEST(clients.back()->send_all("x"));
        BOOST_TEST(clients.back()->receive_exactly(1, 10s).data == "x");
      }
      auto signalled = Clock::now();
      server.process().send_signal(SIGINT);
      for (auto& client : clients) {
        BOOST_TEST(client->send_all("last words"));
        BOOST_TEST(client->receive_exactly(10, 10s).data == "last words");
        client->half_close();
        BOOST_TEST(client->wait_closed(10s));
      }
      BOOST_TEST(server.process().wait(10s).value_or(-1) == 0);
      double exited_after = seconds_since(signalled);
      BOOST_TEST_MESSAGE("exited " << exited_after << " s after SIGINT");
      BOOST_TEST(exited_after < 5.0);  // well before the 20 s deadline
      BOOST_TEST(eventually([] { return live_children_of(::getpid()).empty(); }, 2s));
      BOOST_TEST(zombie_children_of(::getpid()) == 0u);
    }
  }
}

// Forking is not concerned: the parent closes its copy of each connection. Nor is sync,
// which holds one connection at a time: its clients wait in the backlog instead.
BOOST_AUTO_TEST_CASE(out_of_descriptors_the_server_backs_off_without_spinning_and_recovers) {
  for (const ModeCase& mode : in_process_modes) {
    if (mode == socketserver::Mode::sync) continue;
    BOOST_TEST_CONTEXT("mode " << mode) {
      ExampleServer server("echo_server", mode.args({"--workers", "64", "--timeout", "30"}), "ulimit -n 48");
      // Connect until a client is not served within a second: accept() then fails with
      // EMFILE and that client waits in the backlog.
      std::vector<std::unique_ptr<RawClient>> served;
      std::unique_ptr<RawClient> waiting;
      for (int i = 0; i < 64 && !waiting; ++i) {
        auto client = std::make_unique<RawClient>(server.address());
        BOOST_TEST_REQUIRE(client->send_all("ping"));
        if (client->receive_exactly(4, 1s).data == "ping")
          served.push_back(std::move(client));
        else
          waiting = std::move(client);
      }
      BOOST_TEST_REQUIRE(waiting != nullptr);
      BOOST_TEST_MESSAGE(served.size() << " connections served before EMFILE");

      // Two seconds out of descriptors: the server must neither spin nor exit, and the
      // waiting client must not be served meanwhile.
      double cpu_before = cpu_seconds(server.pid());
      auto window_start = Clock::now();
      BOOST_TEST(waiting->receive(2s).data.empty());
      double window = seconds_since(window_start);
      double cpu = cpu_seconds(server.pid()) - cpu_before;
      BOOST_TEST_MESSAGE("CPU " << cpu << " s over " << window << " s out of descriptors");
      BOOST_TEST(cpu < 0.25 * window);
      BOOST_TEST(!server.process().wait(0s).has_value());

      // Free some descriptors: the waiting client is served, and so is a new one.
      for (std::size_t i = 0; i < std::min<std::size_t>(served.size(), 8); ++i) {
        served[i]->half_close();
        BOOST_TEST(served[i]->wait_closed(10s));
      }
      auto recovered = waiting->receive_exactly(4, 10s);
      BOOST_TEST(recovered.data == "ping");
      BOOST_TEST(echoes(server.address()));

      served.clear();
      waiting.reset();
      BOOST_TEST(server.stop(SIGTERM).value_or(-1) == 0);
      std::string errors = server.stderr_text();
      BOOST_TEST(occurrences(errors, "Too many open files") == 1u, errors);  // logged once, not per retry
    }
  }
}
