// Listen addresses as the config writes them: "127.0.0.1:110", "[::1]:995".
#pragma once

#include <asio/ip/tcp.hpp>

#include <filesystem>
#include <optional>
#include <string_view>
#include <variant>

namespace poplar::net {

// Parses "host:port" or "[v6]:port" with a numeric IP and a port 0..65535.
// Returns nullopt for anything else (names are not resolved: a listener must
// not depend on DNS at start-up).
std::optional<asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);

// An lmtp_listen entry: "unix:/path" gives the path, anything else is parsed
// as by parse_listen_address. nullopt when neither.
using LmtpAddress = std::variant<asio::ip::tcp::endpoint, std::filesystem::path>;
std::optional<LmtpAddress> parse_lmtp_address(std::string_view text);

} // namespace poplar::net
