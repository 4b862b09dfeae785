// The machine's ceilings, measured inside the load generator: one loopback TCP
// stream's throughput, and a trivial server that greets and closes.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace loadgen {

struct StreamResult {
    double seconds = 0;
    std::uint64_t octets = 0;
};

// A source thread writes 128 KiB blocks to a 127.0.0.1 socket for `seconds`
// while a sink thread reads them: the single-stream loopback throughput that
// bounds any one RETR.
StreamResult measure_loopback_stream(double seconds);

// A listener on 127.0.0.1 (a free port) whose threads each accept, write
// "+OK\r\n" and close, with blocking calls: the least a POP3 server can do for
// a connection. Stops (and joins) on destruction.
class GreetServer {
public:
    explicit GreetServer(unsigned threads);
    ~GreetServer();
    GreetServer(const GreetServer&) = delete;
    GreetServer& operator=(const GreetServer&) = delete;

    unsigned short port() const { return port_; }

private:
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> threads_;
};

}  // namespace loadgen
