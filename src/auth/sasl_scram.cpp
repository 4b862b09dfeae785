// SASL SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) as a state machine.
//
//   C: client-first          -> lookup (the session asks the passdb)
//   on_lookup(secrets)       -> challenge server-first
//   C: client-final          -> challenge "v=ServerSignature"   (proof right)
//                            -> done FailedExchange              (proof wrong, decoy, binding or nonce mismatch)
//   C: "" (empty response)   -> done ProvenUser
//
// POP3 has no "+OK with data", so the server-final message goes out as one
// more challenge and the client answers it with an empty response (RFC 4422
// section 5, item 2.c; RFC 5034 section 4) before the +OK.
#include "auth/base64.hpp"
#include "auth/constant_time.hpp"
#include "auth/sasl_mechanisms.hpp"
#include "auth/saslprep.hpp"
#include "auth/scram_message.hpp"

#include <openssl/rand.h>

namespace poplar::auth::sasl {

namespace {

// 24 random bytes (RFC 5802 section 5.1 wants the nonce unguessable; 192
// bits is plenty), base64 so they are printable and free of ','.
constexpr int server_nonce_bytes = 24;

Step temporary_failure(std::string reason)
{
    Step step = failed_step(std::move(reason));
    step.temporary = true;
    return step;
}

Step lookup_step(std::string user, ScramHash hash)
{
    Step step;
    step.kind = Step::Kind::lookup;
    step.lookup_user = std::move(user);
    step.lookup_hash = hash;
    return step;
}

class ScramExchange final : public Exchange {
public:
    ScramExchange(ScramHash hash, bool plus, ExchangeContext context)
        : hash_(hash), plus_(plus), context_(std::move(context))
    {
    }

    ~ScramExchange() override { wipe(lookup_.secrets); }

    Step start(std::optional<std::string> initial_response) override
    {
        if (!initial_response) {
            state_ = State::want_client_first;
            return challenge_step({}); // client-first mechanism: an empty challenge asks for it
        }
        return client_first(*initial_response);
    }

    Step respond(std::string response) override
    {
        switch (state_) {
        case State::want_client_first:
            return client_first(response);
        case State::want_client_final:
            return client_final(response);
        case State::want_final_ack:
            state_ = State::over;
            if (!response.empty())
                return failed_step("SCRAM expects an empty response to the server signature");
            return done_step(ProvenUser{std::move(lookup_.user)});
        case State::want_lookup:
        case State::over:
            break;
        }
        state_ = State::over;
        return failed_step("the exchange is over");
    }

    Step on_lookup(ScramLookup lookup) override
    {
        if (state_ != State::want_lookup) {
            wipe(lookup.secrets);
            state_ = State::over;
            return failed_step("unexpected passdb answer");
        }
        state_ = State::over;
        lookup_ = std::move(lookup);
        if (lookup_.status == VerifyStatus::temporary_failure)
            return temporary_failure("authentication database unavailable");
        const auto& secrets = lookup_.secrets;
        if (secrets.salt.empty() || secrets.iterations == 0 || secrets.stored_key.size() != digest_size(hash_)
            || secrets.server_key.size() != digest_size(hash_))
            return temporary_failure("passdb gave unusable SCRAM secrets");

        std::string server_nonce = context_.scram_server_nonce;
        if (server_nonce.empty()) {
            std::string random(server_nonce_bytes, '\0');
            if (RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), server_nonce_bytes) != 1)
                return temporary_failure("no randomness for a nonce");
            server_nonce = base64_encode(random);
        }
        nonce_ = first_.nonce + server_nonce;
        server_first_ = "r=" + nonce_ + ",s=" + base64_encode(secrets.salt) + ",i=" + std::to_string(secrets.iterations);
        state_ = State::want_client_final;
        return challenge_step(server_first_);
    }

private:
    enum class State { want_client_first, want_lookup, want_client_final, want_final_ack, over };

    Step client_first(std::string_view message)
    {
        state_ = State::over;
        if (message.size() > max_scram_message_size)
            return failed_step("SCRAM message too long");
        std::string error;
        auto first = parse_client_first(message, error);
        if (!first)
            return failed_step(std::move(error));

        // RFC 5802 section 6, the server's side of the gs2 flag.
        if (plus_) {
            if (first->cbind_flag != 'p')
                return failed_step("SCRAM-SHA-256-PLUS needs channel binding (p=)");
            const ChannelBinding* found = nullptr;
            for (const auto& binding : context_.channel_bindings)
                if (binding.type == first->cbind_type)
                    found = &binding;
            if (found == nullptr)
                return failed_step("channel binding type not available on this connection");
            cb_data_ = found->data;
        } else if (first->cbind_flag == 'p') {
            return failed_step("channel binding asked for with a mechanism without -PLUS");
        } else if (first->cbind_flag == 'y' && hash_ == ScramHash::sha256 && !context_.channel_bindings.empty()) {
            // The client could bind but thinks we cannot, while we offer
            // SCRAM-SHA-256-PLUS: someone removed it from our CAPA.
            return done_step(FailedExchange{first->user, "channel binding downgrade (gs2 flag y)"});
        }

        auto user = saslprep(first->user, PrepKind::query);
        if (!user || user->size() > max_field_size)
            return failed_step("SCRAM user name is not valid (SASLprep)");
        // poplar has no proxy logins: the authorization identity, if any, is the user.
        if (first->authzid && *first->authzid != first->user && *first->authzid != *user)
            return done_step(FailedExchange{*user, "authorization identity differs from the user"});

        user_ = *user;
        first_ = std::move(*first);
        state_ = State::want_lookup;
        return lookup_step(std::move(*user), hash_);
    }

    Step client_final(std::string_view message)
    {
        state_ = State::over;
        if (message.size() > max_scram_message_size)
            return failed_step("SCRAM message too long");
        std::string error;
        auto final = parse_client_final(message, error);
        if (!final)
            return failed_step(std::move(error));
        if (final->proof.size() != digest_size(hash_))
            return failed_step("SCRAM proof has the wrong length");

        // c= is base64(gs2-header [cb-data]): the header repeated (so it
        // cannot have been changed in flight) and, for -PLUS, this TLS
        // connection's binding (so no one in between relays the exchange).
        const std::string expected_binding = first_.gs2_header + cb_data_;
        const bool binding_ok = equal_constant_time(final->channel_binding, expected_binding);
        const bool nonce_ok = final->nonce == nonce_;

        const std::string auth_message = first_.bare + "," + server_first_ + "," + final->without_proof;
        const bool proof_ok = proof_matches(auth_message, final->proof);

        if (lookup_.status != VerifyStatus::ok)
            return done_step(FailedExchange{user_, lookup_.detail.empty() ? "no SCRAM secrets" : lookup_.detail});
        if (!binding_ok)
            return done_step(FailedExchange{user_, "SCRAM channel binding mismatch"});
        if (!nonce_ok)
            return done_step(FailedExchange{user_, "SCRAM nonce mismatch"});
        if (!proof_ok)
            return done_step(FailedExchange{user_, "wrong SCRAM proof"});

        auto signature = scram_hmac(hash_, lookup_.secrets.server_key, auth_message);
        wipe(lookup_.secrets);
        if (!signature)
            return temporary_failure("cannot compute the server signature");
        state_ = State::want_final_ack;
        return challenge_step("v=" + base64_encode(*signature));
    }

    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof is
    // right when H(ClientKey) is StoredKey. Runs for decoys too, so they cost the same.
    bool proof_matches(std::string_view auth_message, std::string_view proof) const
    {
        auto signature = scram_hmac(hash_, lookup_.secrets.stored_key, auth_message);
        if (!signature || signature->size() != proof.size())
            return false;
        std::string client_key(proof.size(), '\0');
        for (std::size_t i = 0; i < proof.size(); ++i)
            client_key[i] = static_cast<char>(proof[i] ^ (*signature)[i]);
        auto stored = scram_digest(hash_, client_key);
        wipe(client_key);
        wipe(*signature);
        return stored && equal_constant_time(*stored, lookup_.secrets.stored_key);
    }

    ScramHash hash_;
    bool plus_;
    ExchangeContext context_;
    State state_ = State::over;
    ClientFirst first_;
    std::string user_;   // SASLprepped
    std::string cb_data_; // -PLUS: the binding the client chose
    ScramLookup lookup_;
    std::string nonce_;  // client's + server's
    std::string server_first_;
};

} // namespace

std::unique_ptr<Exchange> make_scram_exchange(ScramHash hash, bool plus, ExchangeContext context)
{
    return std::make_unique<ScramExchange>(hash, plus, std::move(context));
}

} // namespace poplar::auth::sasl
