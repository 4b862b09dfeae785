// Tests for the channel-binding helpers over an in-memory TLS connection (a BIO pair).
#include "auth/channel_binding.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace poplar::auth {
namespace {

template <auto Free>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Ctx = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using Ssl = std::unique_ptr<SSL, Deleter<SSL_free>>;

// A self-signed P-256 certificate signed with `md`.
Cert make_certificate(EVP_PKEY* key, const EVP_MD* md)
{
    Cert cert{X509_new()};
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_sign(cert.get(), key, md) == 0)
        throw std::runtime_error("X509_sign failed");
    return cert;
}

struct TlsPair {
    Ctx server_ctx{SSL_CTX_new(TLS_server_method())};
    Ctx client_ctx{SSL_CTX_new(TLS_client_method())};
    Ssl server;
    Ssl client;

    TlsPair(EVP_PKEY* key, X509* cert, int max_version)
    {
        SSL_CTX_use_certificate(server_ctx.get(), cert);
        SSL_CTX_use_PrivateKey(server_ctx.get(), key);
        SSL_CTX_set_max_proto_version(server_ctx.get(), max_version);
        server.reset(SSL_new(server_ctx.get()));
        client.reset(SSL_new(client_ctx.get()));
        BIO* server_bio = nullptr;
        BIO* client_bio = nullptr;
        BIO_new_bio_pair(&server_bio, 0, &client_bio, 0);
        SSL_set_bio(server.get(), server_bio, server_bio);
        SSL_set_bio(client.get(), client_bio, client_bio);
        SSL_set_accept_state(server.get());
        SSL_set_connect_state(client.get());
    }

    bool handshake()
    {
        for (int round = 0; round < 20; ++round) {
            const int c = SSL_do_handshake(client.get());
            const int s = SSL_do_handshake(server.get());
            if (c == 1 && s == 1)
                return true;
        }
        return false;
    }
};

class ChannelBindingTest : public testing::Test {
protected:
    Key key_{EVP_EC_gen("P-256")};
};

TEST_F(ChannelBindingTest, BothSidesComputeTheSameBindingsOverTls13)
{
    const Cert cert = make_certificate(key_.get(), EVP_sha384());
    TlsPair tls{key_.get(), cert.get(), TLS1_3_VERSION};
    EXPECT_TRUE(server_channel_bindings(tls.server.get()).empty()) << "nothing before the handshake";
    ASSERT_TRUE(tls.handshake());

    const auto bindings = server_channel_bindings(tls.server.get());
    ASSERT_EQ(bindings.size(), 2u);
    EXPECT_EQ(bindings[0].type, "tls-exporter");
    EXPECT_EQ(bindings[0].data.size(), 32u);
    EXPECT_EQ(tls_exporter_binding(tls.client.get()), bindings[0].data) << "the client derives the same exporter";

    // tls-server-end-point: SHA-384, the certificate's own signature hash,
    // the same whether taken from the server's or the client's side.
    EXPECT_EQ(bindings[1].type, "tls-server-end-point");
    EXPECT_EQ(bindings[1].data.size(), 48u);
    X509* peer = SSL_get0_peer_certificate(tls.client.get());
    EXPECT_EQ(tls_server_end_point_binding(peer), bindings[1].data);
}

TEST_F(ChannelBindingTest, Sha1SignedCertificateIsHashedWithSha256)
{
    const Cert cert = make_certificate(key_.get(), EVP_sha1());
    const auto data = tls_server_end_point_binding(cert.get());
    ASSERT_TRUE(data);
    unsigned char expected[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    X509_digest(cert.get(), EVP_sha256(), expected, &length);
    EXPECT_EQ(*data, std::string(reinterpret_cast<char*>(expected), length));
    EXPECT_FALSE(tls_server_end_point_binding(nullptr));
}

TEST_F(ChannelBindingTest, Ed25519CertificateHasNoEndPointBinding)
{
    Key ed{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
    const Cert cert = make_certificate(ed.get(), nullptr);
    EXPECT_FALSE(tls_server_end_point_binding(cert.get()));
}

TEST_F(ChannelBindingTest, Tls12GivesAnExporterOnlyWithTheExtendedMasterSecret)
{
    const Cert cert = make_certificate(key_.get(), EVP_sha256());
    TlsPair tls{key_.get(), cert.get(), TLS1_2_VERSION};
    ASSERT_TRUE(tls.handshake());
    ASSERT_EQ(SSL_version(tls.server.get()), TLS1_2_VERSION);
    ASSERT_EQ(SSL_get_extms_support(tls.server.get()), 1); // OpenSSL 3's default
    const auto exporter = tls_exporter_binding(tls.server.get());
    ASSERT_TRUE(exporter);
    EXPECT_EQ(tls_exporter_binding(tls.client.get()), exporter);

    // RFC 9266 section 3: without it the exporter is not unique to the
    // connection, so only tls-server-end-point is offered.
    TlsPair old{key_.get(), cert.get(), TLS1_2_VERSION};
    SSL_set_options(old.client.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
    ASSERT_TRUE(old.handshake());
    ASSERT_NE(SSL_get_extms_support(old.server.get()), 1);
    EXPECT_FALSE(tls_exporter_binding(old.server.get()));
    const auto bindings = server_channel_bindings(old.server.get());
    ASSERT_EQ(bindings.size(), 1u);
    EXPECT_EQ(bindings[0].type, "tls-server-end-point");
}

} // namespace
} // namespace poplar::auth
