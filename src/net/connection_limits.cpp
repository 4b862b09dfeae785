// Connection counting (see connection_limits.hpp).
#include "net/connection_limits.hpp"

namespace poplar::net {

ConnectionTicket::ConnectionTicket(ConnectionTicket&& other) noexcept
    : owner_(other.owner_), ip_(std::move(other.ip_)) {
    other.owner_ = nullptr;
}

ConnectionTicket::~ConnectionTicket() {
    if (owner_ != nullptr) {
        owner_->release(ip_);
    }
}

std::optional<ConnectionTicket> ConnectionLimits::try_acquire(const std::string& ip, std::size_t max_total,
                                                              std::size_t max_per_ip) {
    std::lock_guard lock(mutex_);
    auto& from_ip = per_ip_[ip];
    if (total_ >= max_total || from_ip >= max_per_ip) {
        if (from_ip == 0) {
            per_ip_.erase(ip);
        }
        return std::nullopt;
    }
    ++total_;
    ++from_ip;
    return ConnectionTicket(this, ip);
}

std::size_t ConnectionLimits::total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

void ConnectionLimits::release(const std::string& ip) {
    std::lock_guard lock(mutex_);
    --total_;
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second == 0) {
        per_ip_.erase(it);
    }
}

} // namespace poplar::net
