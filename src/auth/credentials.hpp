// What a client presents to log in, and what the password database answers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace poplar::auth {

// USER/PASS (and, later, SASL PLAIN/LOGIN) end up here.
struct PasswordCredentials {
    std::string user;
    std::string password;  // wiped by the verifier's caller after use
};

// RFC 1939 APOP: digest = hex(MD5(timestamp + secret)).
struct ApopCredentials {
    std::string user;
    std::string timestamp;  // the <...@host> of the greeting, brackets included
    std::string digest_hex; // 32 hex digits as the client sent them
};

using Credentials = std::variant<PasswordCredentials, ApopCredentials>;

const std::string& user_of(const Credentials& credentials);

struct UserInfo {
    std::string name;
    std::string home;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    // passwd-file extra fields (key=value), e.g. userdb_mail=..., pop3_expire_days=...
    std::map<std::string, std::string> extra;
};

enum class VerifyStatus {
    ok,
    bad_credentials,   // unknown user, wrong secret, or APOP for a hashed secret
    temporary_failure, // the passdb could not be read: [SYS/TEMP]
};

struct VerifyResult {
    VerifyStatus status = VerifyStatus::bad_credentials;
    UserInfo user;      // set when status == ok
    std::string detail; // why, for the log; never holds a secret
};

// Overwrites a string's bytes before it is freed, so a password does not linger
// in freed memory.
void wipe(std::string& secret) noexcept;

} // namespace poplar::auth
