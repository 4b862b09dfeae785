// Loopback stream and greet-and-close ceilings (see ceiling.hpp).
#include "ceiling.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>

namespace loadgen {
namespace {

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// A listening socket on 127.0.0.1 at a free port.
int listen_loopback(unsigned short& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
    if (::listen(fd, 4096) != 0) fail("listen");
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) fail("getsockname");
    port = ntohs(address.sin_port);
    return fd;
}

int connect_loopback(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("connect");
    return fd;
}

}  // namespace

StreamResult measure_loopback_stream(double seconds) {
    unsigned short port = 0;
    const int listener = listen_loopback(port);
    StreamResult result;
    std::thread sink([&] {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        std::vector<char> buffer(128 * 1024);
        for (;;) {
            const ssize_t n = ::read(fd, buffer.data(), buffer.size());
            if (n <= 0) break;
            result.octets += static_cast<std::uint64_t>(n);
        }
        ::close(fd);
    });
    const int fd = connect_loopback(port);
    const std::vector<char> block(128 * 1024, 'x');
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (::write(fd, block.data(), block.size()) < 0) break;
    }
    ::shutdown(fd, SHUT_WR);
    sink.join();  // every octet written has been read
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ::close(fd);
    ::close(listener);
    return result;
}

GreetServer::GreetServer(unsigned threads) {
    listener_ = listen_loopback(port_);
    for (unsigned i = 0; i < threads; ++i) {
        threads_.emplace_back([this] {
            static const char greeting[] = "+OK\r\n";
            while (!stopping_) {
                const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
                if (fd < 0) {
                    if (errno == EINTR || errno == ECONNABORTED) continue;
                    break;  // the listener was shut down
                }
                (void)::send(fd, greeting, sizeof greeting - 1, MSG_NOSIGNAL);
                ::close(fd);
            }
        });
    }
}

GreetServer::~GreetServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);  // wakes the threads blocked in accept
    for (auto& thread : threads_) thread.join();
    ::close(listener_);
}

}  // namespace loadgen
