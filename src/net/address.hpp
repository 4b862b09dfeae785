// Listen addresses as the config writes them: "127.0.0.1:110", "[::1]:995".
#pragma once

#include <asio/ip/tcp.hpp>

#include <optional>
#include <string_view>

namespace poplar::net {

// Parses "host:port" or "[v6]:port" with a numeric IP and a port 0..65535.
// Returns nullopt for anything else (names are not resolved: a listener must
// not depend on DNS at start-up).
std::optional<asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);

} // namespace poplar::net
