// The session's RFC 5034 AUTH exchange and the RFC 6856 UTF8 and LANG
// commands: the parts of AUTHORIZATION beyond RFC 1939.
#include "protocol/session.hpp"

#include "auth/base64.hpp"
#include "protocol/reply.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

namespace poplar::protocol {
namespace {

Output reply(std::string text) {
    Output output;
    output.text = std::move(text);
    return output;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

struct Language {
    std::string_view tag;
    std::string_view description;
};

// Every reply poplar sends is English; i-default (RFC 2277) is that too.
constexpr std::array<Language, 2> languages{{{"en", "English"}, {"i-default", "Default language"}}};

// RFC 4647 section 3.4 lookup: "en-GB" falls back to "en"; "*" asks for the
// server's default, English.
std::optional<std::string_view> lookup_language(std::string_view range) {
    std::string wanted = upper(range);
    if (wanted == "*") return languages[0].tag;
    for (;;) {
        for (const auto& language : languages) {
            if (upper(language.tag) == wanted) return language.tag;
        }
        const auto dash = wanted.rfind('-');
        if (dash == std::string::npos) return std::nullopt;
        wanted.resize(dash);
        // A single-letter subtag ("x", "i") is never left at the end.
        if (wanted.size() >= 2 && wanted[wanted.size() - 2] == '-') wanted.resize(wanted.size() - 2);
    }
}

} // namespace

std::int64_t Session::now() const {
    if (settings_.clock) return settings_.clock();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<auth::sasl::Mechanism> Session::offered_mechanisms() const {
    std::vector<auth::sasl::Mechanism> offered;
    for (const auto mechanism : settings_.sasl_mechanisms) {
        if (auth::sasl::is_plaintext(mechanism) && !settings_.plaintext_auth_allowed) continue;
        // -PLUS binds the exchange to this TLS connection: no TLS, nothing to bind to.
        if (mechanism == auth::sasl::Mechanism::scram_sha_256_plus && channel_bindings_.empty()) continue;
        // CRAM-MD5 and APOP prove a secret without sending it, but the
        // challenge must not be guessable: CRAM-MD5 sends it in the clear either way.
        offered.push_back(mechanism);
    }
    return offered;
}

Output Session::cmd_auth(std::span<const std::string_view> args) {
    const auto offered = offered_mechanisms();
    if (args.empty()) {
        // Not in RFC 5034, but Outlook and others probe with a bare AUTH (the
        // RFC 1734 era): the list of mechanisms, as a multi-line reply.
        std::string text = ok("Methods supported:");
        for (const auto mechanism : offered) {
            text += auth::sasl::name(mechanism);
            text += "\r\n";
        }
        text += ".\r\n";
        return reply(std::move(text));
    }
    const auto mechanism = auth::sasl::parse_mechanism(args[0]);
    if (!mechanism || std::find(offered.begin(), offered.end(), *mechanism) == offered.end()) {
        if (mechanism && auth::sasl::is_plaintext(*mechanism) && !settings_.plaintext_auth_allowed &&
            std::find(settings_.sasl_mechanisms.begin(), settings_.sasl_mechanisms.end(), *mechanism) !=
                settings_.sasl_mechanisms.end()) {
            return reply(err("Plaintext authentication is not allowed on a connection without TLS; use STLS first "
                             "(or the POP3S port).",
                             ResponseCode::auth));
        }
        return bad_command("Unsupported authentication mechanism.");
    }
    std::optional<std::string> initial;
    if (args.size() == 2) {
        // RFC 5034 section 4: "=" is an empty initial response.
        initial = args[1] == "=" ? std::optional<std::string>("") : auth::base64_decode(args[1]);
        if (!initial) {
            return bad_command("Initial response is not valid base64.");
        }
    }
    pending_user_.reset();
    sasl_ = auth::sasl::make_exchange(*mechanism, auth::sasl::ExchangeContext{settings_.hostname, channel_bindings_, {}, {}});
    return sasl_step(sasl_->start(std::move(initial)));
}

Output Session::sasl_response(std::string_view line) {
    if (line == "*") {
        // RFC 5034 section 4: the client cancels; the server answers -ERR.
        sasl_.reset();
        return reply(err("Authentication cancelled."));
    }
    auto decoded = auth::base64_decode(line);
    if (!decoded) {
        sasl_.reset();
        return bad_command("Response is not valid base64; authentication cancelled.");
    }
    auto step = sasl_->respond(std::move(*decoded));
    auth::wipe(*decoded);
    return sasl_step(std::move(step));
}

Output Session::sasl_step(auth::sasl::Step step) {
    using Kind = auth::sasl::Step::Kind;
    switch (step.kind) {
    case Kind::challenge:
        return reply("+ " + auth::base64_encode(step.challenge) + "\r\n");
    case Kind::lookup: {
        awaiting_ = true;
        Output output;
        output.sasl_lookup = SaslLookupRequest{std::move(step.lookup_user), step.lookup_hash};
        return output;
    }
    case Kind::verify:
    case Kind::done:
        sasl_.reset();
        if (!step.credentials) std::abort();  // a mechanism broke its contract
        return login_request(std::move(*step.credentials));
    case Kind::failed:
        sasl_.reset();
        if (step.temporary) {
            return reply(err(step.reason, ResponseCode::sys_temp));
        }
        return bad_command(step.reason);
    }
    std::abort();
}

Output Session::on_sasl_lookup(auth::ScramLookup lookup) {
    if (!awaiting_ || !sasl_ || state_ != SessionState::authorization) {
        std::abort();  // the network layer answered a request that was not made
    }
    awaiting_ = false;
    return sasl_step(sasl_->on_lookup(std::move(lookup)));
}

Output Session::cmd_utf8() {
    // RFC 6856 section 2: from now on messages go out as stored, raw UTF-8
    // header fields and all, instead of downgraded.
    utf8_ = true;
    return reply(ok("UTF8 enabled"));
}

Output Session::cmd_lang(std::optional<std::string_view> range) {
    if (!range) {
        std::string text = ok("Language listing follows");
        for (const auto& language : languages) {
            text += fmt::format("{} {}\r\n", language.tag, language.description);
        }
        text += ".\r\n";
        return reply(std::move(text));
    }
    const auto language = lookup_language(*range);
    if (!language) {
        // RFC 6856 section 3: replies start with the tag of the language in use.
        return reply(err(fmt::format("en Language {} is not available; LANG lists those that are.",
                                     sanitize_for_log(*range, 35))));
    }
    return reply(ok(fmt::format("{} Language changed", *language)));
}

} // namespace poplar::protocol
