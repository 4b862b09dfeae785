// parse_client_first() and parse_client_final(): RFC 5802 section 7's grammar, attribute by attribute.
#include "auth/scram_message.hpp"

#include "auth/base64.hpp"
#include "auth/saslprep.hpp"

#include <vector>

namespace poplar::auth::sasl {

namespace {

std::vector<std::string_view> split_commas(std::string_view text)
{
    std::vector<std::string_view> parts;
    for (;;) {
        const auto comma = text.find(',');
        parts.push_back(text.substr(0, comma));
        if (comma == std::string_view::npos)
            return parts;
        text.remove_prefix(comma + 1);
    }
}

// "x=value" with the given attribute letter: the value, or nullopt.
std::optional<std::string_view> attribute(std::string_view part, char name)
{
    if (part.size() < 2 || part[0] != name || part[1] != '=')
        return std::nullopt;
    return part.substr(2);
}

// RFC 5802: printable = %x21-2B / %x2D-7E (no ','); a nonce is 1*printable.
bool is_printable(std::string_view text)
{
    if (text.empty())
        return false;
    for (unsigned char c : text)
        if (c < 0x21 || c > 0x7e || c == ',')
            return false;
    return true;
}

// An optional extension: attr-val = ALPHA "=" value. Checked for shape only.
bool is_extension(std::string_view part)
{
    const char c = part.empty() ? '\0' : part[0];
    return part.size() >= 2 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && part[1] == '=';
}

// cb-name = 1*(ALPHA / DIGIT / "." / "-")
bool is_cb_name(std::string_view text)
{
    if (text.empty())
        return false;
    for (char c : text)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    return true;
}

template <class T>
std::optional<T> fail(std::string& error, std::string_view reason)
{
    error = reason;
    return std::nullopt;
}

} // namespace

std::optional<std::string> decode_saslname(std::string_view text)
{
    if (text.empty())
        return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ',' || c == '\0')
            return std::nullopt;
        if (c != '=') {
            out += c;
            continue;
        }
        const auto escape = text.substr(i, 3);
        if (escape == "=2C")
            out += ',';
        else if (escape == "=3D")
            out += '=';
        else
            return std::nullopt;
        i += 2;
    }
    if (!is_valid_utf8(out))
        return std::nullopt;
    return out;
}

std::optional<ClientFirst> parse_client_first(std::string_view message, std::string& error)
{
    using Result = ClientFirst;
    if (message.find('\0') != std::string_view::npos)
        return fail<Result>(error, "SCRAM message holds a NUL");
    ClientFirst first;
    // gs2-header: flag "," [authzid] ","
    const auto flag_end = message.find(',');
    if (flag_end == std::string_view::npos)
        return fail<Result>(error, "SCRAM client-first has no gs2 header");
    const auto flag = message.substr(0, flag_end);
    if (flag == "n" || flag == "y") {
        first.cbind_flag = flag[0];
    } else if (auto type = attribute(flag, 'p'); type && is_cb_name(*type)) {
        first.cbind_flag = 'p';
        first.cbind_type = std::string{*type};
    } else {
        return fail<Result>(error, "SCRAM gs2 channel binding flag is not n, y or p=name");
    }
    const auto authzid_end = message.find(',', flag_end + 1);
    if (authzid_end == std::string_view::npos)
        return fail<Result>(error, "SCRAM client-first has no gs2 header");
    const auto authzid = message.substr(flag_end + 1, authzid_end - flag_end - 1);
    if (!authzid.empty()) {
        auto value = attribute(authzid, 'a');
        auto decoded = value ? decode_saslname(*value) : std::nullopt;
        if (!decoded)
            return fail<Result>(error, "SCRAM authorization identity is not a=saslname");
        first.authzid = std::move(*decoded);
    }
    first.gs2_header = std::string{message.substr(0, authzid_end + 1)};
    const auto bare = message.substr(authzid_end + 1);
    first.bare = std::string{bare};

    const auto parts = split_commas(bare);
    if (!parts.empty() && attribute(parts[0], 'm'))
        return fail<Result>(error, "SCRAM mandatory extension (m=) not supported");
    if (parts.size() < 2)
        return fail<Result>(error, "SCRAM client-first is not n=user,r=nonce");
    auto user = attribute(parts[0], 'n');
    auto decoded_user = user ? decode_saslname(*user) : std::nullopt;
    if (!decoded_user)
        return fail<Result>(error, "SCRAM user name is not n=saslname");
    auto nonce = attribute(parts[1], 'r');
    if (!nonce || !is_printable(*nonce))
        return fail<Result>(error, "SCRAM client nonce is not r=printable");
    for (std::size_t i = 2; i < parts.size(); ++i)
        if (!is_extension(parts[i]))
            return fail<Result>(error, "SCRAM client-first has a malformed extension");
    first.user = std::move(*decoded_user);
    first.nonce = std::string{*nonce};
    return first;
}

std::optional<ClientFinal> parse_client_final(std::string_view message, std::string& error)
{
    using Result = ClientFinal;
    if (message.find('\0') != std::string_view::npos)
        return fail<Result>(error, "SCRAM message holds a NUL");
    const auto parts = split_commas(message);
    if (parts.size() < 3)
        return fail<Result>(error, "SCRAM client-final is not c=...,r=...,p=...");
    auto binding = attribute(parts[0], 'c');
    auto cb_data = binding ? base64_decode(*binding) : std::nullopt;
    if (!cb_data)
        return fail<Result>(error, "SCRAM channel binding is not c=base64");
    auto nonce = attribute(parts[1], 'r');
    if (!nonce || !is_printable(*nonce))
        return fail<Result>(error, "SCRAM nonce is not r=printable");
    for (std::size_t i = 2; i + 1 < parts.size(); ++i)
        if (!is_extension(parts[i]) || attribute(parts[i], 'p'))
            return fail<Result>(error, "SCRAM client-final has a malformed extension");
    auto proof = attribute(parts.back(), 'p');
    auto proof_bytes = proof ? base64_decode(*proof) : std::nullopt;
    if (!proof_bytes)
        return fail<Result>(error, "SCRAM proof is not p=base64, last");
    ClientFinal final;
    final.channel_binding = std::move(*cb_data);
    final.nonce = std::string{*nonce};
    final.proof = std::move(*proof_bytes);
    // Everything before ",p=": the proof is the last attribute.
    final.without_proof = std::string{message.substr(0, message.size() - parts.back().size() - 1)};
    return final;
}

} // namespace poplar::auth::sasl
