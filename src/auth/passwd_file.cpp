// PasswdFile: a PassDb over a passwd-file that re-reads itself when it changes.
#include "auth/passwd_file.hpp"

#include "auth/apop.hpp"
#include "auth/auth_log.hpp"
#include "auth/cram_md5.hpp"
#include "auth/passwd_load.hpp"
#include "auth/password_scheme.hpp"
#include "auth/saslprep.hpp"
#include "auth/scheme_kind.hpp"
#include "auth/scram_decoy.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

namespace poplar::auth {

// What verify() works from. Small and copied on change; the parsed table it
// points at is shared between snapshots and threads.
struct PasswdFile::Snapshot {
    std::shared_ptr<const PasswdTable> table; // last good contents; null if never read
    FileIdentity identity;                    // of the version in `table`
    std::string read_error;                   // the current read error, already logged
    bool stale = false;                       // invalidate() was called
};

namespace {

template <class... Fs>
struct overloaded : Fs... {
    using Fs::operator()...;
};
// clang 14 (Debian 12) does not deduce aggregate templates without a guide.
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

VerifyResult refused(std::string detail)
{
    return VerifyResult{VerifyStatus::bad_credentials, {}, std::move(detail)};
}

const PasswdEntry* find_user(const PasswdTable& table, const std::string& name)
{
    // Exact, case-sensitive, as Dovecot's default: "Alice" is not "alice".
    const auto it = table.users.find(name);
    return it == table.users.end() ? nullptr : &it->second;
}

VerifyResult verify_password(const PasswdTable& table, const PasswordCredentials& credentials)
{
    const auto* entry = find_user(table, credentials.user);
    if (entry == nullptr) {
        // Spend what a known user costs, then refuse whatever the result.
        (void)check_password("CRYPT", table.dummy_hash, credentials.password);
        return refused("unknown user");
    }
    switch (check_password(entry->scheme, entry->secret, credentials.password)) {
    case SchemeCheck::match:
        return VerifyResult{VerifyStatus::ok, entry->user, {}};
    case SchemeCheck::mismatch:
        return refused("wrong password");
    case SchemeCheck::unknown_scheme:
        break;
    }
    // Logged once when the file was read; here only the cost and the answer.
    (void)check_password("CRYPT", table.dummy_hash, credentials.password);
    return refused(fmt::format("unknown password scheme {{{}}}", entry->scheme));
}

VerifyResult verify_apop(const PasswdTable& table, const ApopCredentials& credentials)
{
    // RFC 1939 section 7: the timestamp is a msg-id, "<...>". Without one the
    // digest would be MD5(secret) alone, the same in every session: replayable.
    const auto& timestamp = credentials.timestamp;
    if (timestamp.size() < 3 || timestamp.front() != '<' || timestamp.back() != '>')
        return refused("APOP timestamp is not <...>");
    const auto* entry = find_user(table, credentials.user);
    if (entry == nullptr) {
        // An MD5, as a known user costs.
        (void)apop_digest_matches(timestamp, "poplar: no such user", credentials.digest_hex);
        return refused("unknown user");
    }
    auto secret = plaintext_secret(entry->scheme, entry->secret);
    if (!secret)
        return refused("APOP needs a plaintext secret");
    const bool same = apop_digest_matches(timestamp, *secret, credentials.digest_hex);
    wipe(*secret);
    if (!same)
        return refused("wrong APOP digest");
    return VerifyResult{VerifyStatus::ok, entry->user, {}};
}

VerifyResult verify_cram_md5(const PasswdTable& table, const CramMd5Credentials& credentials)
{
    // The challenge is ours (the mechanism made it), but check its shape as
    // APOP does: without a unique <...> the digest would be replayable.
    const auto& challenge = credentials.challenge;
    if (challenge.size() < 3 || challenge.front() != '<' || challenge.back() != '>')
        return refused("CRAM-MD5 challenge is not <...>");
    const auto* entry = find_user(table, credentials.user);
    if (entry == nullptr) {
        // An HMAC-MD5, as a known user costs.
        (void)cram_md5_digest_matches(challenge, "poplar: no such user", credentials.digest_hex);
        return refused("unknown user");
    }
    auto secret = plaintext_secret(entry->scheme, entry->secret);
    if (!secret)
        return refused("CRAM-MD5 needs a plaintext secret");
    const bool same = cram_md5_digest_matches(challenge, *secret, credentials.digest_hex);
    wipe(*secret);
    if (!same)
        return refused("wrong CRAM-MD5 digest");
    return VerifyResult{VerifyStatus::ok, entry->user, {}};
}

// A lookup that fails at the proof: decoy secrets, status bad_credentials.
ScramLookup decoy(const std::string& user, ScramHash hash, std::string detail)
{
    auto secrets = decoy_scram_secrets(user, hash);
    if (!secrets)
        return ScramLookup{VerifyStatus::temporary_failure, {}, {}, "no randomness for a SCRAM salt"};
    return ScramLookup{VerifyStatus::bad_credentials, {}, std::move(*secrets), std::move(detail)};
}

ScramLookup lookup_scram(const PasswdTable& table, const std::string& user, ScramHash hash)
{
    const auto* entry = find_user(table, user);
    if (entry == nullptr)
        return decoy(user, hash, "unknown user");
    const auto kind = scheme_kind(entry->scheme);
    const auto wanted = hash == ScramHash::sha1 ? SchemeKind::scram_sha1 : SchemeKind::scram_sha256;
    if (kind == wanted) {
        auto secrets = parse_scram_secret(hash, entry->secret);
        if (!secrets)
            return decoy(user, hash, fmt::format("malformed {{{}}} secret", entry->scheme));
        return ScramLookup{VerifyStatus::ok, entry->user, std::move(*secrets), {}};
    }
    if (kind == SchemeKind::plaintext) {
        // RFC 5802 section 2.2: Hi() takes the SASLprepped password, as a
        // stored string. A password SASLprep refuses (unassigned code points,
        // say) is used as is: a client that does the same still logs in.
        auto prepared = saslprep(entry->secret, PrepKind::stored);
        const std::string_view password = prepared ? std::string_view{*prepared} : std::string_view{entry->secret};
        auto salt = per_process_salt(user, hash);
        std::optional<ScramSecrets> secrets;
        if (salt)
            secrets = derive_scram_secrets(hash, password, std::move(*salt), derived_scram_iterations);
        if (prepared)
            wipe(*prepared);
        if (!secrets)
            return ScramLookup{VerifyStatus::temporary_failure, {}, {}, "cannot derive SCRAM keys"};
        return ScramLookup{VerifyStatus::ok, entry->user, std::move(*secrets), {}};
    }
    return decoy(user, hash, fmt::format("{{{}}} secret cannot give {} keys", entry->scheme, scram_name(hash)));
}

} // namespace

PasswdFile::PasswdFile(std::filesystem::path path) : path_(std::move(path)) {}

void PasswdFile::invalidate()
{
    std::lock_guard lock{mutex_};
    if (!snapshot_)
        return; // nothing read yet: the first verify() reads anyway
    auto next = std::make_shared<Snapshot>(*snapshot_);
    next->stale = true;
    snapshot_ = std::move(next);
}

std::shared_ptr<const PasswdFile::Snapshot> PasswdFile::current()
{
    std::shared_ptr<const Snapshot> seen;
    {
        std::lock_guard lock{mutex_};
        seen = snapshot_;
    }
    // The cheap path, taken by nearly every login: one stat, no lock held.
    struct stat st {};
    if (seen && seen->table && !seen->stale && ::stat(path_.c_str(), &st) == 0
        && FileIdentity::of(st) == seen->identity)
        return seen;

    // Read and parse (and hash the dummy) outside the lock: other logins keep
    // using the old snapshot meanwhile.
    auto load = load_passwd_file(path_);
    auto next = std::make_shared<Snapshot>();
    if (load.table) {
        next->table = std::move(load.table);
        next->identity = load.identity;
    } else {
        // Keep the last good contents; log the error once, not on every login.
        const std::string& error = load.messages.front();
        if (seen && !seen->stale && seen->read_error == error)
            return seen;
        if (seen) {
            next->table = seen->table;
            next->identity = seen->identity;
        }
        next->read_error = error;
        if (next->table)
            load.messages.front() += "; keeping the last good contents";
    }
    {
        std::lock_guard lock{mutex_};
        // Another thread got here first: use its result and let it do the logging.
        if (snapshot_ != seen)
            return snapshot_;
        snapshot_ = next;
    }
    for (const auto& message : load.messages)
        log_passwd_file(message);
    return next;
}

VerifyResult PasswdFile::verify(const Credentials& credentials)
{
    try {
        const auto snapshot = current();
        if (!snapshot || !snapshot->table)
            return VerifyResult{VerifyStatus::temporary_failure, {},
                                snapshot ? snapshot->read_error : std::string{"passwd-file not read"}};
        const PasswdTable& table = *snapshot->table;
        return std::visit(overloaded{
                              [&](const PasswordCredentials& c) { return verify_password(table, c); },
                              [&](const ApopCredentials& c) { return verify_apop(table, c); },
                              [&](const CramMd5Credentials& c) { return verify_cram_md5(table, c); },
                              // The login path settles these itself; if one is
                              // ever handed here, it proves nothing to this passdb.
                              [&](const ProvenUser&) { return refused("SCRAM result handed to the passdb"); },
                              [&](const FailedExchange& c) { return refused(c.reason); },
                          },
                          credentials);
    } catch (const std::exception& e) {
        // Out of memory, mostly. The client gets [SYS/TEMP] and may retry.
        return VerifyResult{VerifyStatus::temporary_failure, {}, fmt::format("internal error: {}", e.what())};
    } catch (...) {
        return VerifyResult{VerifyStatus::temporary_failure, {}, "internal error"};
    }
}

ScramLookup PasswdFile::scram_secrets(std::string_view user, ScramHash hash)
{
    try {
        const auto snapshot = current();
        if (!snapshot || !snapshot->table)
            return ScramLookup{VerifyStatus::temporary_failure, {}, {},
                               snapshot ? snapshot->read_error : std::string{"passwd-file not read"}};
        return lookup_scram(*snapshot->table, std::string{user}, hash);
    } catch (const std::exception& e) {
        return ScramLookup{VerifyStatus::temporary_failure, {}, {}, fmt::format("internal error: {}", e.what())};
    } catch (...) {
        return ScramLookup{VerifyStatus::temporary_failure, {}, {}, "internal error"};
    }
}

UserSearch PasswdFile::find_user(std::string_view name)
{
    try {
        const auto snapshot = current();
        if (!snapshot || !snapshot->table)
            return UserSearch{UserSearch::Status::unavailable, {},
                              snapshot ? snapshot->read_error : std::string{"passwd-file not read"}};
        const auto* entry = auth::find_user(*snapshot->table, std::string{name});
        if (entry == nullptr)
            return UserSearch{UserSearch::Status::unknown, {}, {}};
        return UserSearch{UserSearch::Status::found, entry->user, {}};
    } catch (const std::exception& e) {
        return UserSearch{UserSearch::Status::unavailable, {}, fmt::format("internal error: {}", e.what())};
    } catch (...) {
        return UserSearch{UserSearch::Status::unavailable, {}, "internal error"};
    }
}

} // namespace poplar::auth
