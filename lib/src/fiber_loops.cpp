#include "socketserver/detail/fiber_loops.hpp"

#include <sys/resource.h>

#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "fiber_loop.hpp"

namespace socketserver::detail {
namespace {

using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

} // namespace

struct FiberLoops::State {
  struct Loop {
    std::unique_ptr<boost::asio::io_context> own_context;  // loops 1..N-1
    boost::asio::io_context* context = nullptr;
    std::unique_ptr<FiberLoop> fibers;
    std::optional<WorkGuard> keep_running;
    std::thread thread;
  };

  State(boost::asio::io_context& first_context, Body run, Refused refuse, std::function<void()> finished)
      : first(first_context), body(std::move(run)), refused(std::move(refuse)), on_finished(std::move(finished)) {}

  Loop& add_loop(boost::asio::io_context& context, std::size_t stack_size) {
    auto loop = std::make_unique<Loop>();
    loop->context = &context;
    loop->fibers = std::make_unique<FiberLoop>(context, stack_size, [this] { finished_one(); });
    loops.push_back(std::move(loop));
    return *loops.back();
  }

  void spawn_on(Loop& loop, Request& request) {
    try {
      loop.fibers->spawn(request, body);
    } catch (...) {
      refused(request, std::current_exception());
      finished_one();
    }
  }

  void finished_one() {
    if (on_finished) on_finished();
    // run_until_idle() sleeps in loop 0: the last request, on any loop, wakes it.
    if (live.fetch_sub(1) == 1 && draining.load()) boost::asio::post(first, [] {});
  }

  boost::asio::io_context& first;
  Body body;
  Refused refused;
  std::function<void()> on_finished;
  std::vector<std::unique_ptr<Loop>> loops;
  std::size_t next = 0;
  std::atomic<std::size_t> live{0};
  std::atomic<bool> draining{false};
};

FiberLoops::FiberLoops(boost::asio::io_context& first, Body body, Refused refused, std::function<void()> on_finished)
    : state_(std::make_unique<State>(first, std::move(body), std::move(refused), std::move(on_finished))) {}

FiberLoops::~FiberLoops() { stop(); }

std::string FiberLoops::start(std::size_t threads, std::size_t stack_size) {
  if (started()) return {};
  state_->add_loop(state_->first, stack_size);
  for (std::size_t i = 1; i < std::max<std::size_t>(threads, 1); ++i) {
    auto context = std::make_unique<boost::asio::io_context>(1);
    State::Loop& loop = state_->add_loop(*context, stack_size);
    loop.own_context = std::move(context);
    loop.keep_running.emplace(loop.context->get_executor());
    try {
      loop.thread = std::thread([context = loop.context] {
        for (;;) {
          try {
            context->run();
            return;
          } catch (...) {  // nothing a request does escapes its fiber; keep the loop alive anyway
          }
        }
      });
    } catch (const std::exception& e) {
      state_->loops.pop_back();
      return "started " + std::to_string(state_->loops.size()) + " of " + std::to_string(threads) +
             " loop threads: " + e.what();
    }
  }
  return {};
}

bool FiberLoops::started() const noexcept { return !state_->loops.empty(); }

std::size_t FiberLoops::threads() const noexcept { return state_->loops.size(); }

boost::asio::io_context& FiberLoops::next_context() noexcept {
  auto& loops = state_->loops;
  if (loops.empty()) return state_->first;
  State::Loop& loop = *loops[state_->next];
  state_->next = (state_->next + 1) % loops.size();
  return *loop.context;
}

void FiberLoops::dispatch(Request request) {
  auto& loops = state_->loops;
  State::Loop* loop = loops.front().get();
  if (request.connection) {
    auto* context = &request.connection->get_executor().context();
    for (auto& candidate : loops)
      if (candidate->context == context) loop = candidate.get();
  }
  ++state_->live;
  if (loop == loops.front().get()) return state_->spawn_on(*loop, request);
  boost::asio::post(*loop->context, [state = state_.get(), loop, request = std::move(request)]() mutable {
    state->spawn_on(*loop, request);
  });
}

std::size_t FiberLoops::live() const noexcept { return state_->live.load(); }

bool FiberLoops::run_until_idle(const Deadline& deadline) {
  if (!started()) return true;
  boost::asio::io_context& first = state_->first;
  WorkGuard keep_running(first.get_executor());  // run_one() waits for the other loops too
  state_->draining = true;
  first.restart();
  while (live() > 0) {
    if (!deadline) {
      first.run_one();
    } else if (Clock::now() >= *deadline) {
      break;
    } else {
      first.run_one_until(*deadline);
    }
  }
  state_->draining = false;
  return live() == 0;
}

void FiberLoops::cut() noexcept {
  for (auto& loop : state_->loops) {
    try {
      boost::asio::post(*loop->context, [fibers = loop->fibers.get()] { fibers->cut(); });
    } catch (...) {  // out of memory: the sleepers wake at their time instead
    }
  }
}

void FiberLoops::stop() noexcept {
  for (auto& loop : state_->loops) {
    if (!loop->thread.joinable()) continue;
    loop->keep_running.reset();
    loop->context->stop();
    loop->thread.join();
  }
}

void raise_open_file_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

std::size_t default_loop_count() noexcept { return std::max(1u, std::thread::hardware_concurrency()); }

} // namespace socketserver::detail
