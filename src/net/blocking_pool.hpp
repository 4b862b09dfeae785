// Runs blocking work (password hashing, mailbox scans, UPDATE) on the worker
// pool and resumes the calling coroutine on its own I/O thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

namespace poplar::net {

// DESIGN.md: blocking work never runs on an I/O thread. `work` runs on a pool
// thread; its result (or exception) comes back to the awaiting coroutine.
template <typename F>
asio::awaitable<std::invoke_result_t<F&>> run_blocking(asio::thread_pool& pool, F work) {
    using Result = std::invoke_result_t<F&>;
    co_return co_await asio::co_spawn(
        pool.get_executor(),
        [work = std::move(work)]() mutable -> asio::awaitable<Result> { co_return work(); },
        asio::use_awaitable);
}

} // namespace poplar::net
