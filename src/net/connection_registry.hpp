// The connections alive now, so that shutdown can reach every one of them.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace poplar::net {

class Connection;

class ConnectionRegistry {
public:
    void add(const std::shared_ptr<Connection>& connection);
    void remove(const Connection* connection);
    std::size_t size() const;
    // Calls f for every live connection (from the caller's thread; f must post
    // to the connection's executor before touching it).
    void for_each(const std::function<void(std::shared_ptr<Connection>)>& f) const;

private:
    mutable std::mutex mutex_;
    std::map<const Connection*, std::weak_ptr<Connection>> live_;
};

} // namespace poplar::net
