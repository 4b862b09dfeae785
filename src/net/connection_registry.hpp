// The connections alive now (POP3 and LMTP), so that shutdown can reach every
// one of them.
#pragma once

#include <asio/any_io_executor.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace poplar::net {

// What shutdown needs from a connection of any protocol.
class Stoppable {
public:
    virtual ~Stoppable() = default;
    // The loop the connection lives on.
    virtual asio::any_io_executor executor() = 0;
    // Ends it at the next opportunity; called on its executor.
    virtual void request_shutdown() = 0;
};

class ConnectionRegistry {
public:
    void add(const std::shared_ptr<Stoppable>& connection);
    void remove(const Stoppable* connection);
    std::size_t size() const;
    // Calls f for every live connection (from the caller's thread; f must post
    // to the connection's executor before touching it).
    void for_each(const std::function<void(std::shared_ptr<Stoppable>)>& f) const;

private:
    mutable std::mutex mutex_;
    std::map<const Stoppable*, std::weak_ptr<Stoppable>> live_;
};

} // namespace poplar::net
