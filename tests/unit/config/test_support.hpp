// Helpers for the config tests: TOML text in a temporary file, and comparing two Configs field by field.
#pragma once

#include "config/config.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace poplar::config::test {

// A file holding `text` for the life of the object; hermetic, unique per process and call.
class TempFile {
public:
    explicit TempFile(std::string_view text) {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("poplar-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".toml");
        std::ofstream out(path_, std::ios::binary);
        out << text;
    }
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline Config load_text(std::string_view text, const std::vector<Override>& overrides = {}) {
    const TempFile file(text);
    return load(file.path(), overrides);
}

// The ConfigError message that loading `text` gives, or "" if it loads.
inline std::string load_error(std::string_view text, const std::vector<Override>& overrides = {}) {
    try {
        load_text(text, overrides);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}

inline std::string override_error(const std::vector<Override>& overrides) {
    try {
        load(std::nullopt, overrides);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}

// Written out by hand, field by field, on purpose: it does not go through the
// key table, so a field the table forgot shows up as a difference.
inline void expect_same(const Config& a, const Config& b) {
    EXPECT_EQ(a.listen, b.listen);
    EXPECT_EQ(a.workers, b.workers);
    EXPECT_EQ(a.blocking_threads, b.blocking_threads);
    EXPECT_EQ(a.hostname, b.hostname);
    EXPECT_EQ(a.passwd_file, b.passwd_file);
    EXPECT_EQ(a.mail_path, b.mail_path);
    EXPECT_EQ(a.apop, b.apop);
    EXPECT_EQ(a.last_command, b.last_command);
    EXPECT_EQ(a.auth_failure_delay, b.auth_failure_delay);
    EXPECT_EQ(a.idle_timeout, b.idle_timeout);
    EXPECT_EQ(a.login_timeout, b.login_timeout);
    EXPECT_EQ(a.max_line_length, b.max_line_length);
    EXPECT_EQ(a.max_connections, b.max_connections);
    EXPECT_EQ(a.max_connections_per_ip, b.max_connections_per_ip);
    EXPECT_EQ(a.max_bad_commands_before_login, b.max_bad_commands_before_login);
    EXPECT_EQ(a.max_bad_commands, b.max_bad_commands);
    EXPECT_EQ(a.listen_tls, b.listen_tls);
    EXPECT_EQ(a.allow_plaintext_auth, b.allow_plaintext_auth);
    EXPECT_EQ(a.tls_certificate, b.tls_certificate);
    EXPECT_EQ(a.tls_private_key, b.tls_private_key);
    EXPECT_EQ(a.tls_min_version, b.tls_min_version);
    EXPECT_EQ(a.tls_ciphers, b.tls_ciphers);
    EXPECT_EQ(a.tls_ciphersuites, b.tls_ciphersuites);
    EXPECT_EQ(a.tls_handshake_timeout, b.tls_handshake_timeout);
    EXPECT_EQ(a.auth_mechanisms, b.auth_mechanisms);
    EXPECT_EQ(a.expire, b.expire);
    EXPECT_EQ(a.login_delay, b.login_delay);
    EXPECT_EQ(a.max_message_size, b.max_message_size);
    EXPECT_EQ(a.expire_at_quit, b.expire_at_quit);
    EXPECT_EQ(a.lmtp_listen, b.lmtp_listen);
    EXPECT_EQ(a.lmtp_socket_mode, b.lmtp_socket_mode);
    EXPECT_EQ(a.lmtp_socket_group, b.lmtp_socket_group);
}

// A config with every field away from its default (and valid), for round trips.
inline Config everything_changed() {
    Config c;
    c.listen = {"0.0.0.0:110", "[::1]:0", "192.0.2.7:65535"};
    c.workers = 3;
    c.blocking_threads = 1024;
    c.hostname = "pop.example.org";
    c.passwd_file = "/srv/dovecot/users with space \"quoted\" \\ and \xc3\xa9";
    c.mail_path = "%h/Maildir-%%-%d";
    c.apop = true;
    c.last_command = false;
    c.auth_failure_delay = std::chrono::milliseconds{1500};
    c.idle_timeout = std::chrono::hours{2};
    c.login_timeout = std::chrono::seconds{61};
    c.max_line_length = 1048576;
    c.max_connections = 1;
    c.max_connections_per_ip = 999999;
    c.max_bad_commands_before_login = 1;
    c.max_bad_commands = 1000;
    c.listen_tls = {"0.0.0.0:995"};
    c.allow_plaintext_auth = {"192.0.2.7:65535"};
    c.tls_certificate = "/etc/ssl/pop.pem";
    c.tls_private_key = "/etc/ssl/private/pop.key";
    c.tls_min_version = "TLSv1.3";
    c.tls_ciphers = "ECDHE-RSA-AES256-GCM-SHA384";
    c.tls_ciphersuites = "TLS_AES_256_GCM_SHA384";
    c.tls_handshake_timeout = std::chrono::seconds{5};
    c.auth_mechanisms = {"CRAM-MD5"};
    c.expire = "30";
    c.login_delay = std::chrono::seconds{300};
    c.max_message_size = 52428800;
    c.expire_at_quit = false;
    c.lmtp_listen = {"unix:/var/spool/postfix/private/poplar-lmtp", "127.0.0.1:24", "[::1]:0"};
    c.lmtp_socket_mode = "0600";
    c.lmtp_socket_group = "postfix";
    return c;
}

} // namespace poplar::config::test

namespace poplar::config::test {

// Whether `text` contains `part`, with both in the failure message (gmock is not linked).
inline ::testing::AssertionResult contains(std::string_view text, std::string_view part) {
    if (text.find(part) != std::string_view::npos)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << text << "\"\ndoes not contain\n\"" << part << "\"";
}

inline ::testing::AssertionResult starts_with(std::string_view text, std::string_view part) {
    if (text.starts_with(part))
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << text << "\"\ndoes not start with\n\"" << part << "\"";
}

} // namespace poplar::config::test
