// Counts open connections, in all and per client IP, so a flood from one
// address cannot take every slot.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace poplar::net {

class ConnectionLimits;

// A slot held for one connection; releases it when destroyed.
class ConnectionTicket {
public:
    ConnectionTicket(ConnectionTicket&& other) noexcept;
    ConnectionTicket& operator=(ConnectionTicket&&) = delete;
    ~ConnectionTicket();

private:
    friend class ConnectionLimits;
    ConnectionTicket(ConnectionLimits* owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
    ConnectionLimits* owner_;
    std::string ip_;
};

class ConnectionLimits {
public:
    // Takes a slot for a connection from `ip`, or nullopt if either limit is
    // reached. Thread-safe. Limits are passed each time so that a reloaded
    // config applies to the next connection.
    std::optional<ConnectionTicket> try_acquire(const std::string& ip, std::size_t max_total, std::size_t max_per_ip);

    std::size_t total() const;

private:
    friend class ConnectionTicket;
    void release(const std::string& ip);

    mutable std::mutex mutex_;
    std::size_t total_ = 0;
    std::map<std::string, std::size_t> per_ip_;
};

} // namespace poplar::net
