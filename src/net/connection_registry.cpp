// The registry of live connections (see connection_registry.hpp).
#include "net/connection_registry.hpp"

#include <vector>

namespace poplar::net {

void ConnectionRegistry::add(const std::shared_ptr<Stoppable>& connection) {
    std::lock_guard lock(mutex_);
    live_[connection.get()] = connection;
}

void ConnectionRegistry::remove(const Stoppable* connection) {
    std::lock_guard lock(mutex_);
    live_.erase(connection);
}

std::size_t ConnectionRegistry::size() const {
    std::lock_guard lock(mutex_);
    return live_.size();
}

void ConnectionRegistry::for_each(const std::function<void(std::shared_ptr<Stoppable>)>& f) const {
    std::vector<std::shared_ptr<Stoppable>> alive;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, weak] : live_) {
            if (auto strong = weak.lock()) {
                alive.push_back(std::move(strong));
            }
        }
    }
    for (auto& connection : alive) {
        f(std::move(connection));
    }
}

} // namespace poplar::net
