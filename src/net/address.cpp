// Parsing listen addresses (see address.hpp).
#include "net/address.hpp"

#include <charconv>
#include <string>

namespace poplar::net {

std::optional<asio::ip::tcp::endpoint> parse_listen_address(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return std::nullopt;  // an IPv6 address must be bracketed
    }
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty() || port > 65535) {
        return std::nullopt;
    }
    asio::error_code error;
    const auto address = asio::ip::make_address(std::string(host), error);
    if (error) {
        return std::nullopt;
    }
    return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::optional<LmtpAddress> parse_lmtp_address(std::string_view text) {
    if (text.starts_with("unix:")) {
        const std::filesystem::path path(text.substr(5));
        if (!path.is_absolute()) return std::nullopt;
        return LmtpAddress{path};
    }
    if (const auto endpoint = parse_listen_address(text)) return LmtpAddress{*endpoint};
    return std::nullopt;
}

} // namespace poplar::net
