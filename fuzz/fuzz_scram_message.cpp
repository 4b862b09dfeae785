// Fuzz target: the SCRAM client message parsers (auth/scram_message.hpp,
// RFC 5802 section 7): parse_client_first, parse_client_final, decode_saslname.
//
// Invariants: a refusal always says why; what is accepted is what the
// grammar allows and reassembles to the input: gs2_header + bare == message,
// the flag is n, y or p (with a cb-name exactly for p), the user and authzid
// are non-empty UTF-8 without NUL, the nonce is printable without ','; for a
// client-final, without_proof + ",p=" + base64(proof) == message; a decoded
// saslname re-encodes (',' as =2C, '=' as =3D) to the input.
#include "auth/base64.hpp"
#include "auth/saslprep.hpp"
#include "auth/scram_message.hpp"
#include "fuzz_check.hpp"

#include <cstdint>
#include <string>

namespace {

using namespace poplar::auth;
using poplar::fuzz::escaped;

bool printable_nonce(std::string_view nonce) {
    if (nonce.empty()) return false;
    for (unsigned char c : nonce) {
        if (c < 0x21 || c > 0x7e || c == ',') return false;
    }
    return true;
}

std::string encode_saslname(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (c == ',') out += "=2C";
        else if (c == '=') out += "=3D";
        else out += c;
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view message(reinterpret_cast<const char*>(data), size);
    std::string error;

    if (const auto first = sasl::parse_client_first(message, error)) {
        FUZZ_CHECK(first->gs2_header + first->bare == message, "client-first does not reassemble");
        FUZZ_CHECK(first->cbind_flag == 'n' || first->cbind_flag == 'y' || first->cbind_flag == 'p', "gs2 flag");
        FUZZ_CHECK((first->cbind_flag == 'p') == !first->cbind_type.empty(), "cb-name exactly with p=");
        FUZZ_CHECK(!first->user.empty() && is_valid_utf8(first->user) && first->user.find('\0') == std::string::npos,
                   "user name: " + escaped(first->user));
        FUZZ_CHECK(!first->authzid || (!first->authzid->empty() && is_valid_utf8(*first->authzid)), "authzid");
        FUZZ_CHECK(printable_nonce(first->nonce), "nonce: " + escaped(first->nonce));
        FUZZ_CHECK(first->bare.starts_with("n=" + encode_saslname(first->user) + ",r=" + first->nonce),
                   "bare message does not start with n=user,r=nonce");
    } else {
        FUZZ_CHECK(!error.empty(), "client-first refused without a reason");
    }

    error.clear();
    if (const auto final = sasl::parse_client_final(message, error)) {
        FUZZ_CHECK(final->without_proof + ",p=" + base64_encode(final->proof) == message,
                   "client-final does not reassemble: " + escaped(message));
        FUZZ_CHECK(final->without_proof.starts_with("c=" + base64_encode(final->channel_binding) + ",r=" + final->nonce),
                   "client-final does not start with c=...,r=...");
        FUZZ_CHECK(printable_nonce(final->nonce), "nonce: " + escaped(final->nonce));
    } else {
        FUZZ_CHECK(!error.empty(), "client-final refused without a reason");
    }

    if (const auto name = sasl::decode_saslname(message)) {
        FUZZ_CHECK(!name->empty() && is_valid_utf8(*name), "decoded saslname");
        FUZZ_CHECK(encode_saslname(*name) == message, "saslname does not re-encode to its input");
    }
    return 0;
}
