// Building the TLS context (see tls_context.hpp).
#include "net/tls_context.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>

namespace poplar::net {
namespace {

// The reason of the last OpenSSL error, in its own words ("no such file", "key
// values mismatch"), and the error queue left empty for the next caller.
std::string openssl_reason() {
    // A file that cannot be opened leaves the errno (ENOENT, EACCES) first in
    // the queue, under OpenSSL's own "system lib": the errno is the reason.
    for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
        if (ERR_SYSTEM_ERROR(code)) {
            ERR_clear_error();
            return std::strerror(ERR_GET_REASON(code));
        }
        if (ERR_peek_error() == 0) {
            const char* reason = ERR_reason_error_string(code);
            return reason != nullptr ? reason : "unknown error";
        }
    }
    return "unknown error";
}

std::string name_text(X509_NAME* name) {
    if (name == nullptr) return "-";
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return text;
}

} // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(const config::Config& config) {
    if (config.tls_certificate.empty()) {
        return nullptr;
    }
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* ctx = context->native_handle();
    const int min_version = config.tls_min_version == "TLSv1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, min_version);
    // Compression leaks secrets (CRIME); renegotiation is a denial-of-service
    // lever and POP3 clients never need it.
    // The server's order of the (all AEAD, forward-secret) ciphers wins: a
    // client that lists a weaker one first still gets the stronger one, and
    // scanners such as testssl.sh rate a server without an order as HIGH.
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // DHE suites of the intermediate list use a group that matches the key size.
    SSL_CTX_set_dh_auto(ctx, 1);

    const std::string certificate = config.tls_certificate.string();
    const std::string key = config.tls_private_key.string();
    if (SSL_CTX_use_certificate_chain_file(ctx, certificate.c_str()) != 1) {
        throw TlsSetupError(fmt::format("cannot use tls_certificate {}: {}", certificate, openssl_reason()));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw TlsSetupError(fmt::format("cannot use tls_private_key {}: {}", key, openssl_reason()));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        throw TlsSetupError(
            fmt::format("tls_private_key {} does not belong to tls_certificate {}: {}", key, certificate, openssl_reason()));
    }
    if (SSL_CTX_set_cipher_list(ctx, config.tls_ciphers.c_str()) != 1) {
        throw TlsSetupError(fmt::format("tls_ciphers names no cipher OpenSSL knows: {}", openssl_reason()));
    }
    if (SSL_CTX_set_ciphersuites(ctx, config.tls_ciphersuites.c_str()) != 1) {
        throw TlsSetupError(fmt::format("tls_ciphersuites names no suite OpenSSL knows: {}", openssl_reason()));
    }
    return context;
}

std::string describe_certificate(asio::ssl::context& context) {
    X509* certificate = SSL_CTX_get0_certificate(context.native_handle());
    if (certificate == nullptr) return "no certificate";
    std::tm expiry{};
    std::string expires = "-";
    if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &expiry) == 1) {
        char text[32];
        std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &expiry);
        expires = text;
    }
    return fmt::format("subject={} issuer={} expires={}", name_text(X509_get_subject_name(certificate)),
                       name_text(X509_get_issuer_name(certificate)), expires);
}

} // namespace poplar::net
