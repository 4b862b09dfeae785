// Parsers for the client's SCRAM messages (RFC 5802 section 7), strict and bounded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace poplar::auth::sasl {

// client-first-message = gs2-header client-first-message-bare
struct ClientFirst {
    char cbind_flag = 'n';   // 'n' (no channel binding), 'y' (client could, thinks server can't), 'p' (wants it)
    std::string cbind_type;  // with 'p': the cb-name, e.g. "tls-exporter"
    std::string gs2_header;  // as received, both commas included: "n,,", "p=tls-exporter,a=bob,"
    std::optional<std::string> authzid; // a=, decoded
    std::string user;        // n=, decoded (=2C, =3D), not SASLprepped
    std::string nonce;       // r=
    std::string bare;        // client-first-message-bare as received (it enters the AuthMessage)
};

// client-final-message = channel-binding "," nonce ["," extensions] "," proof
struct ClientFinal {
    std::string channel_binding; // c=, base64-decoded
    std::string nonce;           // r=
    std::string proof;           // p=, base64-decoded
    std::string without_proof;   // client-final-message-without-proof as received
};

// Parses; on failure fills `error` with a short reason for -ERR and returns nullopt.
// Refused: a NUL anywhere, a bad gs2 flag or cb-name, a= or n= that are not
// valid saslnames, an "m=" mandatory extension (RFC 5802 section 5.1: the
// server MUST fail it), a nonce with characters outside %x21-7E or a ',',
// attributes out of order, bad base64. Unknown optional extensions after the
// nonce are ignored, as the RFC requires.
std::optional<ClientFirst> parse_client_first(std::string_view message, std::string& error);
std::optional<ClientFinal> parse_client_final(std::string_view message, std::string& error);

// A saslname decoded: "=2C" is ',', "=3D" is '='; any other '=' or a ',' is an
// error, as is an empty name or one that is not UTF-8.
std::optional<std::string> decode_saslname(std::string_view text);

} // namespace poplar::auth::sasl
