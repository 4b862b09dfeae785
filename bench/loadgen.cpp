// poplar-loadgen: the benchmark's POP3 load generator and ceiling probes (bench/run.py drives it).
//
//   sessions:  N clients run whole POP3 sessions for a bounded time or count;
//              every reply is checked, and a run with any error is "ok": false
//   --idle K:  K logged-in sessions held open; "ready" on stdout, then a line
//              on stdin (or --hold-max) ends them, after optional probe sessions
//   --ceiling-stream: single-stream loopback TCP throughput
//   --greet-server:   a greet-and-close server in this process, and sessions/s against it
//
// Output: one JSON object per line on stdout.
#include "loadgen/ceiling.hpp"
#include "loadgen/pop3_client.hpp"
#include "loadgen/stats.hpp"

#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace loadgen {
namespace {

using clock = std::chrono::steady_clock;

double seconds_between(clock::time_point from, clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

struct Options {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    unsigned clients = 8;
    unsigned threads = 1;
    double duration = 0;       // seconds; 0: bounded by --sessions only
    double warmup = 0;         // seconds not counted at the start
    std::uint64_t sessions = 0;  // total sessions; 0: bounded by --duration only
    std::string script = "full";
    unsigned users = 256;
    std::string user_pattern = "u{:04}";
    std::string password_pattern = "p{:04}";
    bool pipelining = false;
    bool dele = false;
    int server_pid = 0;
    double io_timeout = 60;
    std::uint64_t max_errors = 20;
    // --idle
    unsigned idle = 0;
    std::string idle_user_pattern = "idle{:05}";
    std::string idle_password_pattern = "i{:05}";
    unsigned open_concurrency = 64;
    double hold_max = 600;
    std::uint64_t probe_sessions = 0;
    // ceilings
    bool ceiling_stream = false;
    bool greet_server = false;
    unsigned server_threads = std::max(1u, std::thread::hardware_concurrency());
};

std::string user_name(const std::string& pattern, unsigned index) { return fmt::format(fmt::runtime(pattern), index); }

// Errors of a run: counted, and the first few texts kept to be shown.
class ErrorLog {
public:
    void add(std::string text) {
        std::lock_guard lock(mutex_);
        ++count_;
        if (samples_.size() < 5) samples_.push_back(std::move(text));
    }
    std::uint64_t count() const {
        std::lock_guard lock(mutex_);
        return count_;
    }
    std::vector<std::string> samples() const {
        std::lock_guard lock(mutex_);
        return samples_;
    }

private:
    mutable std::mutex mutex_;
    std::uint64_t count_ = 0;
    std::vector<std::string> samples_;
};

// Sessions of one worker thread, merged after the run.
struct Tally {
    std::vector<double> login_ms, stat_ms, uidl_ms, session_ms;
    std::uint64_t sessions = 0, messages = 0, octets = 0;  // inside the measuring window
    std::uint64_t sessions_after_warmup = 0;  // also those that ended after the deadline

    void merge(const Tally& other) {
        for (auto [to, from] : {std::pair{&login_ms, &other.login_ms}, {&stat_ms, &other.stat_ms},
                                {&uidl_ms, &other.uidl_ms}, {&session_ms, &other.session_ms}}) {
            to->insert(to->end(), from->begin(), from->end());
        }
        sessions += other.sessions;
        messages += other.messages;
        octets += other.octets;
        sessions_after_warmup += other.sessions_after_warmup;
    }
};

struct Report {
    Tally tally;
    double window_s = 0;
    double loadgen_cpu_s = 0, wall_s = 0;
    double server_cpu_s = -1;
    std::uint64_t errors = 0;
    std::vector<std::string> error_samples;
};

// One worker thread's share of the clients: its own io_context, so threads
// share nothing but the bounds and the error log.
class Worker {
public:
    asio::io_context io{1};
    Tally tally;
    std::vector<Pop3Client*> active;  // clients in a session now, for the watchdog
    unsigned running = 0;             // client loops not finished
    clock::time_point last_end{};     // when the last session ended
    asio::steady_timer* watchdog_timer = nullptr;  // cancelled when the last client loop ends
    std::vector<std::unique_ptr<Pop3Client>> held;  // --idle sessions
};

// The bounds of a sessions run, shared by all workers.
struct Run {
    explicit Run(const Options& o) : options(o) {}
    const Options& options;
    SessionOptions session;
    asio::ip::tcp::endpoint server;
    std::string user_pattern, password_pattern;
    unsigned users = 1;
    clock::time_point started, warmup_end;
    std::optional<clock::time_point> deadline;
    std::atomic<std::uint64_t> launched{0};
    std::atomic<bool> stop{false};
    ErrorLog errors;

    bool may_start() {
        if (stop) return false;
        if (deadline && clock::now() >= *deadline) return false;
        return options.sessions == 0 || launched.fetch_add(1) < options.sessions;
    }
    void error(std::string text) {
        errors.add(std::move(text));
        if (errors.count() >= options.max_errors) stop = true;
    }
};

// Closes the socket of a client that made no progress for --io-timeout: its
// pending operation fails and the session counts as an error. Ends when the
// worker's clients have.
asio::awaitable<void> watchdog(Worker& worker, double io_timeout) {
    asio::steady_timer timer(worker.io);
    worker.watchdog_timer = &timer;
    const auto limit = std::chrono::duration<double>(io_timeout);
    while (worker.running > 0) {
        timer.expires_after(std::chrono::milliseconds(200));
        asio::error_code cancelled;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
        const auto now = clock::now();
        for (Pop3Client* client : worker.active) {
            if (now - client->last_io() > limit && client->socket().is_open()) {
                asio::error_code ignored;
                client->socket().close(ignored);
            }
        }
    }
    worker.watchdog_timer = nullptr;
}

// Client `index` of `clients`: sessions one after another until a bound is
// reached. Its k-th session logs in as user index + clients * (k mod rounds),
// so no two clients ever use one mailbox at once (no [IN-USE]), and each
// client goes round rounds mailboxes (a server may still hold a mailbox a
// moment after its QUIT reply).
asio::awaitable<void> client_loop(Run& run, Worker& worker, unsigned index, unsigned clients) {
    const unsigned rounds = std::max(1u, run.users / clients);
    for (std::uint64_t k = 0; run.may_start(); ++k) {
        const unsigned user = (index + clients * static_cast<unsigned>(k % rounds)) % run.users;
        Pop3Client client(worker.io.get_executor(), run.session);
        worker.active.push_back(&client);
        try {
            const SessionResult result = co_await client.run(run.server, user_name(run.user_pattern, user),
                                                             user_name(run.password_pattern, user));
            const auto ended = clock::now();
            worker.last_end = std::max(worker.last_end, ended);
            if (ended >= run.warmup_end) {
                ++worker.tally.sessions_after_warmup;
                if (!run.deadline || ended <= *run.deadline) {
                    Tally& t = worker.tally;
                    ++t.sessions;
                    t.messages += result.messages;
                    t.octets += result.octets;
                    t.login_ms.push_back(result.login_ms);
                    t.stat_ms.push_back(result.stat_ms);
                    t.uidl_ms.push_back(result.uidl_ms);
                    t.session_ms.push_back(result.session_ms);
                }
            }
        } catch (const std::exception& e) {
            const bool stalled = clock::now() - client.last_io() > std::chrono::duration<double>(run.options.io_timeout);
            run.error(fmt::format("{}: {}", user_name(run.user_pattern, user),
                                  stalled ? std::string("no progress within --io-timeout") : std::string(e.what())));
        }
        std::erase(worker.active, &client);
    }
    if (--worker.running == 0 && worker.watchdog_timer != nullptr) worker.watchdog_timer->cancel();
}

Report run_sessions(const Options& options, unsigned clients, std::uint64_t session_limit, Script script,
                    const asio::ip::tcp::endpoint& server) {
    Options bounded = options;
    bounded.sessions = session_limit;
    Run run{bounded};
    run.server = server;
    run.user_pattern = options.user_pattern;
    run.password_pattern = options.password_pattern;
    run.users = std::max(1u, options.users);
    run.session.script = script;
    run.session.pipelining = options.pipelining;
    run.session.dele = options.dele;
    if (clients > run.users && script != Script::greet) {
        throw std::invalid_argument(fmt::format("{} clients need at least as many users (--users {})", clients, run.users));
    }

    const unsigned threads = std::max(1u, std::min(options.threads, clients));
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned t = 0; t < threads; ++t) workers.push_back(std::make_unique<Worker>());

    Report report;
    const double cpu_before = self_cpu_seconds();
    run.started = clock::now();
    run.warmup_end = run.started + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(options.warmup));
    if (options.duration > 0) {
        run.deadline = run.warmup_end + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(options.duration));
    }
    for (unsigned i = 0; i < clients; ++i) {
        Worker& worker = *workers[i % threads];
        ++worker.running;
        asio::co_spawn(worker.io, client_loop(run, worker, i, clients), asio::detached);
    }
    std::vector<std::thread> pool;
    for (auto& worker : workers) {
        Worker* w = worker.get();
        asio::co_spawn(w->io, watchdog(*w, options.io_timeout), asio::detached);
        pool.emplace_back([w] { w->io.run(); });
    }
    // The server's CPU is sampled when the warm-up ends and after the last session.
    double server_before = -1;
    if (options.server_pid > 0) {
        std::this_thread::sleep_until(run.warmup_end);
        server_before = process_tree_cpu_seconds(options.server_pid);
    }
    for (auto& thread : pool) thread.join();
    const auto ended = clock::now();
    if (options.server_pid > 0 && server_before >= 0) {
        const double after = process_tree_cpu_seconds(options.server_pid);
        if (after >= 0) report.server_cpu_s = after - server_before;
    }

    auto last_end = run.started;
    for (auto& worker : workers) {
        report.tally.merge(worker->tally);
        last_end = std::max(last_end, worker->last_end);
    }
    report.wall_s = seconds_between(run.started, ended);
    report.loadgen_cpu_s = self_cpu_seconds() - cpu_before;
    report.window_s = run.deadline ? seconds_between(run.warmup_end, *run.deadline)
                                   : seconds_between(std::min(run.warmup_end, last_end), last_end);
    report.errors = run.errors.count();
    report.error_samples = run.errors.samples();
    return report;
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out += c;
        }
    }
    return out + '"';
}

std::string latency_json(const std::vector<double>& samples) {
    return fmt::format(R"({{"p50": {:.3f}, "p99": {:.3f}, "max": {:.3f}}})", percentile(samples, 50),
                       percentile(samples, 99), percentile(samples, 100));
}

// The figures of a sessions run as JSON members (no braces).
std::string report_json(const Report& r, unsigned clients) {
    const Tally& t = r.tally;
    const double window = std::max(r.window_s, 1e-9);
    std::string samples;
    for (const auto& s : r.error_samples) samples += (samples.empty() ? "" : ", ") + json_string(s);
    std::string out = fmt::format(
        R"("ok": {}, "errors": {}, "error_samples": [{}], "clients": {}, "sessions": {}, "window_s": {:.3f}, )"
        R"("sessions_per_s": {:.2f}, "messages_per_s": {:.2f}, "mb_per_s": {:.3f}, )"
        R"("login_ms": {}, "stat_ms": {}, "uidl_ms": {}, "session_ms": {}, )"
        R"("loadgen_cpu_s": {:.3f}, "loadgen_cpu_pct": {:.1f})",
        r.errors == 0 && t.sessions > 0 ? "true" : "false", r.errors, samples, clients, t.sessions, r.window_s,
        static_cast<double>(t.sessions) / window, static_cast<double>(t.messages) / window,
        static_cast<double>(t.octets) / window / 1e6, latency_json(t.login_ms), latency_json(t.stat_ms),
        latency_json(t.uidl_ms), latency_json(t.session_ms), r.loadgen_cpu_s,
        100.0 * r.loadgen_cpu_s / std::max(r.wall_s, 1e-9));
    if (r.server_cpu_s >= 0) {
        out += fmt::format(R"(, "server_cpu_s": {:.3f}, "server_cpu_ms_per_session": {:.4f})", r.server_cpu_s,
                           1000.0 * r.server_cpu_s / static_cast<double>(std::max<std::uint64_t>(1, t.sessions_after_warmup)));
    }
    return out;
}

Script parse_script(const std::string& name) {
    if (name == "full") return Script::full;
    if (name == "stat") return Script::stat;
    if (name == "uidl") return Script::uidl;
    if (name == "greet") return Script::greet;
    throw std::invalid_argument("unknown --script " + name);
}

// Waits for a line (or EOF) on stdin, at most `seconds`.
void wait_for_stdin(double seconds) {
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::poll(&in, 1, static_cast<int>(seconds * 1000)) > 0) {
        std::string line;
        std::getline(std::cin, line);
    }
}

// --idle: K logged-in sessions held open, opened and closed --open-concurrency at a time.
int run_idle(const Options& options, const asio::ip::tcp::endpoint& server) {
    const unsigned threads = std::max(1u, options.threads);
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned t = 0; t < threads; ++t) workers.push_back(std::make_unique<Worker>());
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    std::vector<std::thread> pool;
    for (auto& worker : workers) {
        guards.push_back(asio::make_work_guard(worker->io));
        pool.emplace_back([w = worker.get()] { w->io.run(); });
    }
    ErrorLog errors;
    SessionOptions session;
    session.buffer_size = 4096;  // an idle client needs little
    std::atomic<unsigned> next{0};
    std::mutex mutex;
    std::condition_variable all_done;
    unsigned finished = 0;
    const unsigned openers = std::max(1u, std::min(options.open_concurrency, options.idle));

    // Runs `body` on `openers` coroutines spread over the workers and waits for them all.
    auto in_parallel = [&](auto body) {
        finished = 0;
        for (unsigned i = 0; i < openers; ++i) {
            Worker& worker = *workers[i % threads];
            asio::co_spawn(worker.io, body(worker), [&](std::exception_ptr) {
                std::lock_guard lock(mutex);
                if (++finished == openers) all_done.notify_one();
            });
        }
        std::unique_lock lock(mutex);
        all_done.wait(lock, [&] { return finished == openers; });
    };

    // The probe's normal latency, measured the same way just before.
    auto probe = [&](const char* name) {
        if (options.probe_sessions == 0) return std::string();
        Options one = options;
        one.duration = 0;
        one.warmup = 0;
        one.server_pid = 0;
        const Report report = run_sessions(one, 1, options.probe_sessions, Script::full, server);
        return fmt::format(R"(, "{}": {{{}}})", name, report_json(report, 1));
    };
    const std::string probe_before = probe("probe_before");

    const auto open_started = clock::now();
    in_parallel([&](Worker& worker) -> asio::awaitable<void> {
        for (unsigned i; (i = next++) < options.idle;) {
            auto client = std::make_unique<Pop3Client>(worker.io.get_executor(), session);
            try {
                asio::steady_timer timer(worker.io);
                co_await client->open_idle(server, user_name(options.idle_user_pattern, i),
                                           user_name(options.idle_password_pattern, i));
                worker.held.push_back(std::move(client));
            } catch (const std::exception& e) {
                errors.add(fmt::format("{}: {}", user_name(options.idle_user_pattern, i), e.what()));
            }
        }
    });
    std::size_t held = 0;
    for (auto& worker : workers) held += worker->held.size();
    std::cout << fmt::format(R"({{"idle_ready": {}, "errors": {}, "open_s": {:.3f}}})", held, errors.count(),
                             seconds_between(open_started, clock::now()))
              << std::endl;

    wait_for_stdin(options.hold_max);

    const std::string probe_during = probe("probe");

    in_parallel([&](Worker& worker) -> asio::awaitable<void> {
        while (!worker.held.empty()) {
            auto client = std::move(worker.held.back());
            worker.held.pop_back();
            try {
                co_await client->quit();
            } catch (const std::exception& e) {
                errors.add(fmt::format("QUIT of an idle session: {}", e.what()));
            }
        }
    });
    guards.clear();
    for (auto& thread : pool) thread.join();

    std::string samples;
    for (const auto& s : errors.samples()) samples += (samples.empty() ? "" : ", ") + json_string(s);
    std::cout << fmt::format(R"({{"mode": "idle", "ok": {}, "idle": {}, "held": {}, "errors": {}, "error_samples": [{}]{}}})",
                             errors.count() == 0 && held == options.idle ? "true" : "false", options.idle, held,
                             errors.count(), samples, probe_before + probe_during)
              << std::endl;
    return errors.count() == 0 ? 0 : 1;
}

// As many descriptors as the hard limit allows: --idle holds thousands.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

int run_main(int argc, char** argv) {
    Options o;
    CLI::App app{"poplar-loadgen: POP3 load and loopback ceilings for the benchmark; one JSON line per result"};
    app.add_option("--host", o.host, "server address");
    app.add_option("--port", o.port, "server port");
    app.add_option("--clients", o.clients, "concurrent sessions");
    app.add_option("--threads", o.threads, "event-loop threads of the load generator");
    app.add_option("--duration", o.duration, "seconds measured (after --warmup); 0: none");
    app.add_option("--warmup", o.warmup, "seconds run before measuring");
    app.add_option("--sessions", o.sessions, "total sessions to run (0: bounded by --duration)");
    app.add_option("--script", o.script, "full | stat | uidl: what each session does");
    app.add_option("--users", o.users, "users to spread the clients over (client i uses user i mod U, ...)");
    app.add_option("--user-pattern", o.user_pattern, "user name from the index, fmt syntax");
    app.add_option("--password-pattern", o.password_pattern, "password from the index, fmt syntax");
    app.add_flag("--pipelining", o.pipelining, "send each batch of commands at once (RFC 2449 PIPELINING)");
    app.add_flag("--dele", o.dele, "DELE every message after its RETR (the mailboxes empty)");
    app.add_option("--server-pid", o.server_pid, "the server's (master) pid: its process tree's CPU is reported");
    app.add_option("--io-timeout", o.io_timeout, "seconds without progress before a session fails");
    app.add_option("--max-errors", o.max_errors, "stop the run after this many errors");
    app.add_option("--idle", o.idle, "hold this many logged-in idle sessions (see the file's header)");
    app.add_option("--idle-user-pattern", o.idle_user_pattern, "user names of --idle sessions");
    app.add_option("--idle-password-pattern", o.idle_password_pattern, "passwords of --idle sessions");
    app.add_option("--open-concurrency", o.open_concurrency, "--idle sessions opened at once");
    app.add_option("--hold-max", o.hold_max, "longest time --idle sessions are held, in seconds");
    app.add_option("--probe-sessions", o.probe_sessions,
                   "full sessions run one at a time before and while --idle sessions are held");
    app.add_flag("--ceiling-stream", o.ceiling_stream, "measure single-stream loopback throughput for --duration");
    app.add_flag("--greet-server", o.greet_server, "run a greet-and-close server here and measure its sessions/s");
    app.add_option("--server-threads", o.server_threads, "threads of the --greet-server");
    CLI11_PARSE(app, argc, argv);

    raise_descriptor_limit();
    if (o.ceiling_stream) {
        const StreamResult r = measure_loopback_stream(o.duration > 0 ? o.duration : 3);
        std::cout << fmt::format(R"({{"mode": "ceiling-stream", "ok": true, "seconds": {:.3f}, "octets": {}, "mb_per_s": {:.1f}}})",
                                 r.seconds, r.octets, static_cast<double>(r.octets) / r.seconds / 1e6)
                  << std::endl;
        return 0;
    }
    if (o.duration <= 0 && o.sessions == 0 && o.idle == 0) {
        throw std::invalid_argument("a run needs a bound: --duration or --sessions");
    }
    if (o.greet_server) {
        GreetServer server(o.server_threads);
        const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(o.host), server.port());
        const Report report = run_sessions(o, o.clients, o.sessions, Script::greet, endpoint);
        std::cout << "{\"mode\": \"greet-server\", " << report_json(report, o.clients) << "}" << std::endl;
        return report.errors == 0 ? 0 : 1;
    }
    const asio::ip::tcp::endpoint server(asio::ip::make_address(o.host), o.port);
    if (o.idle > 0) return run_idle(o, server);
    const Report report = run_sessions(o, o.clients, o.sessions, parse_script(o.script), server);
    std::cout << fmt::format(R"({{"mode": "sessions", "script": "{}", "pipelining": {}, )", o.script,
                             o.pipelining ? "true" : "false")
              << report_json(report, o.clients) << "}" << std::endl;
    return report.errors == 0 && report.tally.sessions > 0 ? 0 : 1;
}

}  // namespace
}  // namespace loadgen

int main(int argc, char** argv) {
    try {
        return loadgen::run_main(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "poplar-loadgen: " << e.what() << '\n';
        return 2;
    }
}
