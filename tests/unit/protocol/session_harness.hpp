// The test harness for Session: drives it the way the network layer does.
#pragma once

#include "fake_mailbox.hpp"
#include "auth/scram.hpp"
#include "protocol/session.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace poplar::protocol::testing {

using poplar::testing::FakeMailbox;

// Drives a Session the way the network layer does, with a scripted passdb:
// "alice"/"secret" logs in to `mailbox`; anything else is bad credentials.
class Harness {
public:
    explicit Harness(SessionSettings settings = {}) : session(std::move(settings)) {
        mailbox_owned = std::make_unique<FakeMailbox>();
        mailbox = mailbox_owned.get();
    }

    // Sends one line and returns everything the client would read in reply.
    std::string send(std::string_view line) { return drain(session.on_line(line)); }

    std::string drain(Output output) {
        std::string wire = output.text;
        if (output.body) {
            while (output.body->next(wire)) {
            }
        }
        closed = closed || output.close;
        if (output.start_tls) {
            // The network layer: the handshake, then the session goes on.
            ++handshakes;
            session.on_tls_started(channel_bindings);
        }
        if (output.login) {
            last_credentials = output.login;
            wire += drain(session.on_login_result(answer_login(*output.login)));
        }
        if (output.open_message) {
            searched.push_back(*output.open_message);
            wire += drain(session.on_message_opened(open_message_blocking(*session.mailbox(), *output.open_message)));
        }
        if (output.sasl_lookup) {
            lookups.push_back(output.sasl_lookup->user);
            wire += drain(session.on_sasl_lookup(answer_lookup(*output.sasl_lookup)));
        }
        if (output.update) {
            updated = output.update->remove;
            noted_retrieved = output.update->retrieved;
            auto result = session.mailbox()->remove(output.update->remove);
            if (!output.update->retrieved.empty()) {
                (void)session.mailbox()->note_retrieved(output.update->retrieved, output.update->now);
            }
            wire += drain(session.on_update_result(result));
        }
        return wire;
    }

    std::string login() {
        send("USER alice");
        return send("PASS secret");
    }

    LoginResult answer_login(const auth::Credentials& credentials) {
        LoginResult result;
        result.status = login_status;
        if (login_status != LoginStatus::ok) return result;
        const auto* password = std::get_if<auth::PasswordCredentials>(&credentials);
        const auto* apop = std::get_if<auth::ApopCredentials>(&credentials);
        const auto* proven = std::get_if<auth::ProvenUser>(&credentials);
        const bool good = (password && password->user == "alice" && password->password == "secret") ||
                          (apop && apop->user == "alice" && apop->digest_hex == std::string(32, 'a')) ||
                          (proven && proven->user.name == "alice");
        if (!good) {
            result.status = LoginStatus::bad_credentials;
            return result;
        }
        result.user = "alice";
        result.expire_days = user_expire_days;
        result.mailbox = std::move(mailbox_owned);
        return result;
    }

    // The scripted passdb's SCRAM side: alice's secrets from "secret"; anyone
    // else gets a decoy that no proof matches.
    auth::ScramLookup answer_lookup(const SaslLookupRequest& request) {
        auth::ScramLookup lookup;
        lookup.status = request.user == "alice" ? auth::VerifyStatus::ok : auth::VerifyStatus::bad_credentials;
        lookup.user.name = request.user;
        lookup.secrets = *auth::derive_scram_secrets(request.hash, request.user == "alice" ? "secret" : "decoy",
                                                     "saltsaltsaltsalt", 4096);
        return lookup;
    }

    Session session;
    std::optional<unsigned> user_expire_days;  // the EXPIRE a login gets
    std::vector<auth::sasl::ChannelBinding> channel_bindings;  // given at on_tls_started
    std::vector<std::string> lookups;                           // sasl_lookup requests made
    std::unique_ptr<FakeMailbox> mailbox_owned;
    FakeMailbox* mailbox;
    LoginStatus login_status = LoginStatus::ok;
    std::optional<auth::Credentials> last_credentials;
    std::vector<store::StoreId> updated;          // UPDATE: removed
    std::vector<store::StoreId> noted_retrieved;  // UPDATE: first retrievals recorded
    std::vector<store::StoreId> searched;  // open_message requests made
    bool closed = false;
    int handshakes = 0;
};

} // namespace poplar::protocol::testing
