// Channel-binding data for SCRAM-SHA-256-PLUS, read from a finished TLS connection.
#pragma once

#include "auth/sasl.hpp"

#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <vector>

namespace poplar::auth {

// RFC 9266 tls-exporter: 32 bytes of SSL_export_keying_material with the
// label "EXPORTER-Channel-Binding" and an empty context. Only for TLS 1.3, or
// TLS 1.2 with the extended master secret (RFC 9266 section 3: without it the
// value is not unique to the connection); nullopt otherwise, or before the
// handshake has finished.
std::optional<std::string> tls_exporter_binding(SSL* ssl);

// RFC 5929 section 4.1 tls-server-end-point: the hash of the server's
// certificate (DER), with the hash of its signature algorithm, SHA-256 when
// that is MD5 or SHA-1. nullopt when the signature has no single hash (Ed25519,
// Ed448: RFC 5929 does not define the binding for them) or no certificate.
std::optional<std::string> tls_server_end_point_binding(X509* server_certificate);

// What the session puts in ExchangeContext::channel_bindings on a server-side
// TLS connection after its handshake: each type above that is available,
// tls-exporter first. Empty for a connection that can give neither.
std::vector<sasl::ChannelBinding> server_channel_bindings(SSL* ssl);

} // namespace poplar::auth
