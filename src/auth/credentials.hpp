// What a client presents to log in, and what the password database answers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace poplar::auth {

// USER/PASS and SASL PLAIN/LOGIN end up here.
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

struct UserInfo {
    std::string name;
    std::string home;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    // passwd-file extra fields (key=value), e.g. userdb_mail=..., pop3_expire_days=...
    std::map<std::string, std::string> extra;
};

// RFC 2195 CRAM-MD5: digest = hex(HMAC-MD5(secret, challenge)). Like APOP it
// needs the plaintext secret, so it only works for {PLAIN}/{CLEARTEXT} users.
struct CramMd5Credentials {
    std::string user;
    std::string challenge;  // the <...@host> the server sent, brackets included
    std::string digest_hex; // 32 hex digits as the client sent them
};

// A SASL exchange (SCRAM) that already proved the client knows the password,
// against secrets the passdb gave it. The login path accepts it as is,
// without asking the passdb again.
struct ProvenUser {
    UserInfo user;
};

// A SASL exchange that failed for a reason the client must not learn apart
// from a wrong password (wrong SCRAM proof, unknown user, authorization
// identity mismatch). The login path logs `reason` and delays the -ERR
// exactly as for a wrong password. `reason` never holds a secret.
struct FailedExchange {
    std::string user;
    std::string reason;
};

using Credentials =
    std::variant<PasswordCredentials, ApopCredentials, CramMd5Credentials, ProvenUser, FailedExchange>;

// The user name the client gave (or was proven), for the log and the mailbox.
const std::string& user_of(const Credentials& credentials);

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
