// The server loop (see server.hpp).
#include "net/server.hpp"

#include "config/checks.hpp"
#include "net/address.hpp"
#include "net/connection.hpp"
#include "net/connection_registry.hpp"
#include "net/lmtp_connection.hpp"
#include "net/log.hpp"
#include "net/runtime.hpp"
#include "net/tls_context.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace poplar::net {
namespace {

using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

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
        if (!bind_listeners() || !bind_lmtp_listeners()) {
            remove_socket_files();
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
        for (auto& acceptor : lmtp_tcp_) {
            asio::co_spawn(control_, lmtp_accept_loop(acceptor), asio::detached);
        }
        for (auto& bound : lmtp_unix_) {
            asio::co_spawn(control_, lmtp_accept_loop(bound.acceptor), asio::detached);
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
        remove_socket_files();
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

    bool bind_lmtp_listeners() {
        const auto& config = runtime_->config;
        for (const auto& text : config.lmtp_listen) {
            const auto address = parse_lmtp_address(text);
            if (!address) {
                log("cannot listen on lmtp {}: not unix:/path nor address:port", text);
                return false;
            }
            if (const auto* path = std::get_if<std::filesystem::path>(&*address)) {
                if (!bind_lmtp_socket(*path)) return false;
                continue;
            }
            const auto& endpoint = std::get<tcp::endpoint>(*address);
            tcp::acceptor acceptor(control_);
            asio::error_code ec;
            acceptor.open(endpoint.protocol(), ec);
            if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
            if (!ec) acceptor.bind(endpoint, ec);
            if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
            if (ec) {
                log("cannot listen on lmtp {}: {}", text, ec.message());
                return false;
            }
            const auto local_endpoint = acceptor.local_endpoint();
            log("listening on lmtp {}", local_endpoint.address().is_v6()
                                            ? fmt::format("[{}]:{}", local_endpoint.address().to_string(),
                                                          local_endpoint.port())
                                            : fmt::format("{}:{}", local_endpoint.address().to_string(),
                                                          local_endpoint.port()));
            lmtp_tcp_.push_back(std::move(acceptor));
        }
        return true;
    }

    // A unix socket for LMTP at `path`, with lmtp_socket_mode and
    // lmtp_socket_group. A socket left by an earlier run is replaced; one
    // that a live server answers on, or any other kind of file, is not.
    bool bind_lmtp_socket(const std::filesystem::path& path) {
        const auto& config = runtime_->config;
        const auto fail = [&](const std::string& why) {
            log("cannot listen on lmtp unix:{}: {}", path.string(), why);
            return false;
        };
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0) {
            if (!S_ISSOCK(st.st_mode)) return fail("the path exists and is not a socket");
            local::socket probe(control_);
            asio::error_code ec;
            probe.connect(local::endpoint(path.string()), ec);
            if (!ec) return fail("another server is listening on it");
            if (::unlink(path.c_str()) != 0) return fail(fmt::format("cannot remove the old socket: {}", std::strerror(errno)));
        }
        std::optional<gid_t> group;
        if (!config.lmtp_socket_group.empty()) {
            const ::group* entry = ::getgrnam(config.lmtp_socket_group.c_str());
            if (entry == nullptr) return fail(fmt::format("no group called {}", config.lmtp_socket_group));
            group = entry->gr_gid;
        }
        local::acceptor acceptor(control_);
        asio::error_code ec;
        acceptor.open(local::endpoint(path.string()).protocol(), ec);
        if (!ec) {
            // Made private first (before any thread serves), opened up to the
            // configured mode once its group is right: no moment where a
            // process that should not may connect.
            const mode_t old_umask = ::umask(0177);
            acceptor.bind(local::endpoint(path.string()), ec);
            ::umask(old_umask);
        }
        if (ec) return fail(ec.message());
        if (::lstat(path.c_str(), &st) != 0) return fail(std::strerror(errno));
        lmtp_unix_.push_back({std::move(acceptor), path, st.st_dev, st.st_ino});
        if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
            return fail(fmt::format("cannot give it to group {}: {}", config.lmtp_socket_group, std::strerror(errno)));
        if (::chmod(path.c_str(), static_cast<mode_t>(config::socket_mode(config.lmtp_socket_mode))) != 0)
            return fail(fmt::format("cannot set its mode: {}", std::strerror(errno)));
        lmtp_unix_.back().acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) return fail(ec.message());
        log("listening on lmtp unix:{}", path.string());
        return true;
    }

    // The unix sockets this server made, unless something else replaced them.
    void remove_socket_files() {
        for (const auto& bound : lmtp_unix_) {
            struct stat st {};
            if (::lstat(bound.path.c_str(), &st) == 0 && st.st_dev == bound.device && st.st_ino == bound.inode) {
                ::unlink(bound.path.c_str());
            }
        }
    }

    template <typename Acceptor>
    asio::awaitable<void> lmtp_accept_loop(Acceptor& acceptor) {
        std::size_t next = 0;
        while (!stopping_) {
            auto& worker = *workers_[next++ % workers_.size()];
            asio::error_code ec;
            auto socket = co_await acceptor.async_accept(worker, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                if (stopping_ || ec == asio::error::operation_aborted) co_return;
                log("lmtp accept failed: {}", ec.message());
                asio::steady_timer pause(control_, std::chrono::milliseconds(100));
                co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            std::string peer = "unix";
            if constexpr (std::is_same_v<Acceptor, tcp::acceptor>) {
                const auto endpoint = socket.remote_endpoint(ec);
                peer = ec ? std::string("unknown") : endpoint.address().to_string();
                socket.set_option(tcp::no_delay(true), ec);  // no reply waits on Nagle
            }
            try {
                auto connection =
                    std::make_shared<LmtpConnection>(LmtpConnection::Socket(std::move(socket)), std::move(peer), context_);
                registry_.add(connection);
                asio::co_spawn(worker, LmtpConnection::run(std::move(connection)), asio::detached);
            } catch (const std::exception& e) {
                log("cannot start an lmtp session: {}", e.what());
            }
        }
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
            if (fresh.listen != runtime_->config.listen || fresh.listen_tls != runtime_->config.listen_tls ||
                fresh.lmtp_listen != runtime_->config.lmtp_listen ||
                fresh.lmtp_socket_mode != runtime_->config.lmtp_socket_mode ||
                fresh.lmtp_socket_group != runtime_->config.lmtp_socket_group) {
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
        for (auto& acceptor : lmtp_tcp_) {
            asio::error_code ignored;
            acceptor.close(ignored);
        }
        for (auto& bound : lmtp_unix_) {
            asio::error_code ignored;
            bound.acceptor.close(ignored);
        }
        registry_.for_each([](std::shared_ptr<Stoppable> connection) {
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
    std::vector<tcp::acceptor> lmtp_tcp_;
    struct BoundSocket {
        local::acceptor acceptor;
        std::filesystem::path path;
        dev_t device;
        ino_t inode;
    };
    std::vector<BoundSocket> lmtp_unix_;
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
