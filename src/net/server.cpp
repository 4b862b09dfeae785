// The server loop (see server.hpp).
#include "net/server.hpp"

#include "net/address.hpp"
#include "net/connection.hpp"
#include "net/connection_registry.hpp"
#include "net/log.hpp"
#include "net/runtime.hpp"
#include "net/tls_context.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace poplar::net {
namespace {

using tcp = asio::ip::tcp;

// How long sessions get to end by themselves at shutdown before the process
// leaves anyway (no mark is applied either way).
constexpr auto shutdown_grace = std::chrono::seconds(5);

unsigned or_cores(unsigned configured, unsigned per_core) {
    if (configured != 0) return configured;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return cores * per_core;
}

class Server {
public:
    Server(const config::Config& initial, ConfigLoader reload)
        : reload_(std::move(reload)),
          runtime_(make_runtime(initial)),
          pool_(or_cores(initial.blocking_threads, 2)),
          context_{pool_, limits_, registry_, stopping_, [this] { return current_runtime(); }} {
        const unsigned workers = or_cores(initial.workers, 1);
        for (unsigned i = 0; i < workers; ++i) {
            workers_.push_back(std::make_unique<asio::io_context>(1));
        }
    }

    int run() {
        if (!bind_listeners()) {
            return 1;
        }
        std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
        std::vector<std::thread> threads;
        for (auto& worker : workers_) {
            guards.push_back(asio::make_work_guard(*worker));
            threads.emplace_back([&context = *worker] { context.run(); });
        }
        for (auto& bound : acceptors_) {
            asio::co_spawn(control_, accept_loop(bound.acceptor, bound.listener), asio::detached);
        }
        // The handlers are installed here, before "ready": a SIGHUP or SIGTERM
        // sent the moment a supervisor sees "ready" must be handled, not kill.
        asio::signal_set signals(control_, SIGTERM, SIGINT, SIGHUP);
        asio::co_spawn(control_, handle_signals(signals), asio::detached);
        log("ready");

        control_.run();

        // Stage two: sessions had their chance; stop the loops. Destroying
        // the sessions releases their mailbox locks; no mark is applied.
        guards.clear();
        for (auto& worker : workers_) worker->stop();
        for (auto& thread : threads) thread.join();
        pool_.join();
        log("stopped");
        return 0;
    }

private:
    std::shared_ptr<const Runtime> current_runtime() {
        std::lock_guard lock(runtime_mutex_);
        return runtime_;
    }

    bool bind_listeners() {
        std::vector<Listener> wanted;
        for (const auto& text : runtime_->config.listen) wanted.push_back({text, false});
        for (const auto& text : runtime_->config.listen_tls) wanted.push_back({text, true});
        for (const auto& listener : wanted) {
            const std::string& text = listener.address;
            const auto endpoint = parse_listen_address(text);
            if (!endpoint) {
                log("cannot listen on {}: not an address:port", text);
                return false;
            }
            tcp::acceptor acceptor(control_);
            asio::error_code ec;
            acceptor.open(endpoint->protocol(), ec);
            if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
            if (!ec) acceptor.bind(*endpoint, ec);
            if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
            if (ec) {
                log("cannot listen on {}: {}", text, ec.message());
                return false;
            }
            const auto local = acceptor.local_endpoint();
            log("listening on {}{}",
                local.address().is_v6() ? fmt::format("[{}]:{}", local.address().to_string(), local.port())
                                        : fmt::format("{}:{}", local.address().to_string(), local.port()),
                listener.implicit_tls ? " tls" : "");
            acceptors_.push_back({std::move(acceptor), listener});
        }
        return true;
    }

    asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, const Listener& listener) {
        std::size_t next = 0;
        while (!stopping_) {
            // Each connection lives on one worker loop for its whole life, so
            // a session is never touched by two threads at once.
            auto& worker = *workers_[next++ % workers_.size()];
            asio::error_code ec;
            tcp::socket socket = co_await acceptor.async_accept(worker, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                if (stopping_ || ec == asio::error::operation_aborted) co_return;
                // EMFILE and friends: wait a moment rather than spin.
                log("accept failed: {}", ec.message());
                asio::steady_timer pause(control_, std::chrono::milliseconds(100));
                co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            try {
                auto connection = std::make_shared<Connection>(std::move(socket), listener, context_);
                // Registered here, on the control loop, so that a shutdown
                // that starts before the connection's first step still sees it.
                registry_.add(connection);
                asio::co_spawn(worker, Connection::run(std::move(connection)), asio::detached);
            } catch (const std::exception& e) {
                log("cannot start a session: {}", e.what());
            }
        }
    }

    asio::awaitable<void> handle_signals(asio::signal_set& signals) {
        for (;;) {
            asio::error_code ec;
            const int signal = co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            if (signal == SIGHUP) {
                reload();
                continue;
            }
            log("stopping on signal {}", signal == SIGTERM ? "TERM" : "INT");
            co_await shut_down();
            co_return;
        }
    }

    void reload() {
        try {
            config::Config fresh = reload_();
            if (fresh.listen != runtime_->config.listen || fresh.listen_tls != runtime_->config.listen_tls) {
                log("reload: listen addresses changed; they take effect at the next restart");
            }
            // Same file: keep the parsed copy (the last good one if the file is
            // unreadable right now) and have it re-read at the next login.
            std::shared_ptr<auth::PasswdFile> passdb;
            if (fresh.passwd_file == runtime_->config.passwd_file) {
                passdb = runtime_->passdb;
                passdb->invalidate();
            }
            auto runtime = make_runtime(std::move(fresh), std::move(passdb));
            std::lock_guard lock(runtime_mutex_);
            runtime_ = std::move(runtime);
            log("reloaded config; the passwd-file is re-read at the next login{}",
                runtime_->tls ? "; new sessions use the certificate read now" : "");
        } catch (const std::exception& e) {
            log("reload failed, keeping the old config: {}", e.what());
        }
    }

    asio::awaitable<void> shut_down() {
        stopping_ = true;
        for (auto& bound : acceptors_) {
            asio::error_code ignored;
            bound.acceptor.close(ignored);
        }
        registry_.for_each([](std::shared_ptr<Connection> connection) {
            // request_shutdown runs on the connection's own loop thread.
            auto executor = connection->executor();
            asio::post(executor, [connection] { connection->request_shutdown(); });
        });
        const auto give_up = std::chrono::steady_clock::now() + shutdown_grace;
        asio::steady_timer tick(control_);
        while (registry_.size() > 0 && std::chrono::steady_clock::now() < give_up) {
            tick.expires_after(std::chrono::milliseconds(20));
            co_await tick.async_wait(asio::use_awaitable);
        }
        control_.stop();
    }

    ConfigLoader reload_;
    std::mutex runtime_mutex_;
    std::shared_ptr<const Runtime> runtime_;
    asio::thread_pool pool_;
    ConnectionLimits limits_;
    ConnectionRegistry registry_;
    std::atomic<bool> stopping_{false};
    ServerContext context_;
    // Destroyed in reverse order: the acceptors and the control loop (whose
    // pending accepts hold sockets of the worker loops) go first, then the
    // worker loops (whose sessions still use limits_ and registry_).
    std::vector<std::unique_ptr<asio::io_context>> workers_;
    asio::io_context control_{1};
    struct Bound {
        tcp::acceptor acceptor;
        Listener listener;
    };
    std::vector<Bound> acceptors_;
};

} // namespace

int serve(const config::Config& initial, ConfigLoader reload) {
    std::unique_ptr<Server> server;
    try {
        server = std::make_unique<Server>(initial, std::move(reload));
    } catch (const TlsSetupError& e) {
        log("cannot start: {}", e.what());
        return 1;
    }
    return server->run();
}

} // namespace poplar::net
