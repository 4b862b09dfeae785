// Channel-binding data from OpenSSL: the exporter (RFC 9266) and the certificate hash (RFC 5929).
#include "auth/channel_binding.hpp"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

namespace poplar::auth {

std::optional<std::string> tls_exporter_binding(SSL* ssl)
{
    if (ssl == nullptr || !SSL_is_init_finished(ssl))
        return std::nullopt;
    if (SSL_version(ssl) < TLS1_3_VERSION && SSL_get_extms_support(ssl) != 1)
        return std::nullopt;
    constexpr std::string_view label = "EXPORTER-Channel-Binding";
    std::string data(32, '\0');
    // use_context = 1 with a zero-length context: RFC 9266 section 2 says
    // "empty context", which TLS 1.2 tells apart from "no context".
    if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(data.data()), data.size(), label.data(),
                                   label.size(), nullptr, 0, 1)
        != 1)
        return std::nullopt;
    return data;
}

std::optional<std::string> tls_server_end_point_binding(X509* server_certificate)
{
    if (server_certificate == nullptr)
        return std::nullopt;
    int md_nid = NID_undef;
    int pkey_nid = NID_undef;
    if (OBJ_find_sigid_algs(X509_get_signature_nid(server_certificate), &md_nid, &pkey_nid) != 1
        || md_nid == NID_undef)
        return std::nullopt;
    if (md_nid == NID_md5 || md_nid == NID_sha1)
        md_nid = NID_sha256;
    const EVP_MD* md = EVP_get_digestbynid(md_nid);
    if (md == nullptr)
        return std::nullopt;
    std::string data(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    if (X509_digest(server_certificate, md, reinterpret_cast<unsigned char*>(data.data()), &length) != 1)
        return std::nullopt;
    data.resize(length);
    return data;
}

std::vector<sasl::ChannelBinding> server_channel_bindings(SSL* ssl)
{
    std::vector<sasl::ChannelBinding> bindings;
    if (ssl == nullptr || !SSL_is_init_finished(ssl))
        return bindings;
    if (auto data = tls_exporter_binding(ssl))
        bindings.push_back({"tls-exporter", std::move(*data)});
    // The server's own certificate: SSL_get_certificate on the server side.
    if (auto data = tls_server_end_point_binding(SSL_get_certificate(ssl)))
        bindings.push_back({"tls-server-end-point", std::move(*data)});
    return bindings;
}

} // namespace poplar::auth
