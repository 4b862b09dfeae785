// The header downgrade (see header_downgrade.hpp): fields, encoded-words,
// addresses, MIME parameters, folding, and the block collector.
#include "store/header_downgrade.hpp"

#include "store/wire_size.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace poplar::store {

namespace {

// RFC 2047 section 2: an encoded-word is at most 75 characters, a line that
// holds one at most 76.
constexpr std::size_t max_encoded_word = 75;
constexpr std::size_t max_line = 76;
constexpr std::string_view word_open = "=?UTF-8?B?";
constexpr std::string_view word_close = "?=";
constexpr std::size_t word_overhead = word_open.size() + word_close.size();
// Room for at least one 4-octet character (8 base64 characters).
constexpr std::size_t min_word = word_overhead + 8;

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

bool is_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower(x) == lower(y);
           });
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(name, n); });
}

// RFC 5322 section 3.6 (and RFC 8098): fields whose body is an address list.
bool is_address_field(std::string_view name) {
    return is_one_of(name, {"from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender",
                            "resent-to", "resent-cc", "resent-bcc", "disposition-notification-to"});
}

// RFC 2045 and RFC 2183: "type; attribute=value; ...".
bool is_parameter_field(std::string_view name) {
    return is_one_of(name, {"content-type", "content-disposition"});
}

// Structured fields where encoded-words are not allowed: they are kept under
// a new name so that no reader misparses them.
bool is_structured_field(std::string_view name) {
    return is_one_of(name, {"date",
                            "message-id",
                            "in-reply-to",
                            "references",
                            "resent-date",
                            "resent-message-id",
                            "received",
                            "return-path",
                            "mime-version",
                            "content-transfer-encoding",
                            "content-id",
                            "content-language",
                            "content-location",
                            "content-md5",
                            "content-type",
                            "content-disposition",
                            "list-id",
                            "list-post",
                            "list-help",
                            "list-unsubscribe",
                            "list-unsubscribe-post",
                            "list-subscribe",
                            "list-owner",
                            "list-archive",
                            "dkim-signature",
                            "arc-seal",
                            "arc-message-signature",
                            "arc-authentication-results",
                            "authentication-results",
                            "received-spf",
                            "original-recipient",
                            "final-recipient"});
}

// A field name (RFC 5322 section 3.6.8): printable ASCII but ':'.
bool is_field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte >= 33 && byte <= 126 && c != ':';
    });
}

void append_base64(std::string& out, std::string_view data) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]) << 16 |
                                                  static_cast<unsigned char>(data[i + 1]) << 8 |
                                                  static_cast<unsigned char>(data[i + 2]));
        out += alphabet[n >> 18];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (i + 1 == data.size()) {
        const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]) << 16);
        out += alphabet[n >> 18];
        out += alphabet[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == data.size()) {
        const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]) << 16 |
                                                  static_cast<unsigned char>(data[i + 1]) << 8);
        out += alphabet[n >> 18];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += '=';
    }
}

// How many octets of `text` (at most `limit`, limit >= 4) to take so that no
// UTF-8 character is cut: back up over at most 3 continuation octets to the
// start of the character. Invalid UTF-8 (more continuation octets) is cut at
// the limit: those octets are no character anyway.
std::size_t character_cut(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) {
        return text.size();
    }
    std::size_t cut = limit;
    while (cut > limit - 3 && is_continuation(text[cut])) {
        --cut;
    }
    return is_continuation(text[cut]) ? limit : cut;
}

// `text` as RFC 2047 B encoded-words separated by one space: each at most 75
// characters, the first at most `first_room` (if that has room for a
// character; else it too is full size, and the folder starts a new line).
void append_encoded_words(std::string& out, std::string_view text, std::size_t first_room = max_encoded_word) {
    std::size_t room = first_room >= min_word ? std::min(first_room, max_encoded_word) : max_encoded_word;
    bool first = true;
    while (!text.empty()) {
        const std::size_t octets = character_cut(text, (room - word_overhead) / 4 * 3);
        if (!first) {
            out += ' ';
        }
        out += word_open;
        append_base64(out, text.substr(0, octets));
        out += word_close;
        text.remove_prefix(octets);
        room = max_encoded_word;
        first = false;
    }
}

// Writes "head" + body, inserting CRLF before a space or tab of `body` where
// the line would pass 76 octets. Breaks only before whitespace that follows
// a non-blank and precedes one, so no line is blank and unfolding (RFC 5322
// section 2.2.3) gives back exactly head + body.
void append_folded(std::string& out, std::string_view head, std::string_view body) {
    out += head;
    std::size_t line = head.size();
    bool after_text = !head.empty() && !is_wsp(head.back());
    std::size_t at = 0;
    while (at < body.size()) {
        std::size_t end = at;
        while (end < body.size() && is_wsp(body[end])) {
            ++end;
        }
        const bool leading_space = end > at;
        const bool has_text = end < body.size();
        while (end < body.size() && !is_wsp(body[end])) {
            ++end;
        }
        const std::size_t length = end - at;
        if (line + length > max_line && leading_space && has_text && after_text) {
            out += "\r\n";
            line = 0;
        }
        out.append(body, at, length);
        line += length;
        after_text = has_text;
        at = end;
    }
}

// RFC 5322 unfolding: the line ends inside a field are removed.
std::string unfold(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\n') {
            if (!out.empty() && out.back() == '\r') {
                out.pop_back();
            }
            continue;
        }
        out += field[i];
    }
    return out;
}

// The body after the colon, without the one space that conventionally
// follows it (a reader ignores leading whitespace of a field body).
std::string_view text_of_body(std::string_view body) {
    if (!body.empty() && is_wsp(body.front())) {
        body.remove_prefix(1);
    }
    return body;
}

std::string_view trim_wsp(std::string_view text) {
    while (!text.empty() && is_wsp(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_wsp(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// "Name: " and `text` as encoded-words.
void append_encoded_field(std::string& out, std::string_view name, std::string_view text) {
    std::string head(name);
    head += ':';
    std::string encoded = " ";
    const std::size_t used = head.size() + 1;
    append_encoded_words(encoded, text, used < max_line ? max_line - used : 0);
    append_folded(out, head, encoded);
}

void append_unstructured(std::string& out, std::string_view name, std::string_view body) {
    append_encoded_field(out, name, text_of_body(body));
}

// ---- address lists (RFC 5322 section 3.4) ----

enum class TokenKind { space, word, quoted, comment, literal, special };

struct Token {
    TokenKind kind;
    std::string_view text;
};

// Splits an address list into tokens. Never fails: an unterminated quoted
// string, comment or domain literal runs to the end.
std::vector<Token> tokenize_addresses(std::string_view body) {
    std::vector<Token> tokens;
    std::size_t at = 0;
    while (at < body.size()) {
        const char c = body[at];
        std::size_t end = at + 1;
        TokenKind kind;
        if (is_wsp(c)) {
            kind = TokenKind::space;
            while (end < body.size() && is_wsp(body[end])) {
                ++end;
            }
        } else if (c == '"' || c == '[') {
            kind = c == '"' ? TokenKind::quoted : TokenKind::literal;
            const char close = c == '"' ? '"' : ']';
            while (end < body.size() && body[end] != close) {
                end += body[end] == '\\' && end + 1 < body.size() ? 2 : 1;
            }
            end = std::min(end + 1, body.size());
        } else if (c == '(') {
            kind = TokenKind::comment;
            int depth = 1;
            while (end < body.size() && depth > 0) {
                if (body[end] == '\\' && end + 1 < body.size()) {
                    end += 2;
                    continue;
                }
                depth += body[end] == '(' ? 1 : body[end] == ')' ? -1 : 0;
                ++end;
            }
        } else if (std::strchr("<>,:;", c) != nullptr && c != '\0') {
            kind = TokenKind::special;
        } else {
            kind = TokenKind::word;
            while (end < body.size() && !is_wsp(body[end]) && std::strchr("<>,:;\"[(", body[end]) == nullptr) {
                ++end;
            }
        }
        tokens.push_back(Token{kind, body.substr(at, end - at)});
        at = end;
    }
    return tokens;
}

bool is_special(const Token& token, char c) {
    return token.kind == TokenKind::special && token.text.front() == c;
}

using Tokens = std::vector<Token>;
using TokenIt = Tokens::const_iterator;

std::string_view span_text(TokenIt begin, TokenIt end) {
    if (begin == end) {
        return {};
    }
    const char* first = begin->text.data();
    const char* last = std::prev(end)->text.data() + std::prev(end)->text.size();
    return std::string_view(first, static_cast<std::size_t>(last - first));
}

// Whether a mailbox has UTF-8 in its addr-spec: inside <...> if it has one,
// else anywhere outside comments.
bool mailbox_address_has_8bit(TokenIt begin, TokenIt end) {
    const auto open = std::find_if(begin, end, [](const Token& t) { return is_special(t, '<'); });
    const TokenIt from = open == end ? begin : open;
    TokenIt to = end;
    if (open != end) {
        to = std::find_if(open, end, [](const Token& t) { return is_special(t, '>'); });
    }
    return std::any_of(from, to, [](const Token& t) { return t.kind != TokenKind::comment && has_8bit(t.text); });
}

// One list item (a mailbox or a whole group) with no UTF-8 in any addr-spec:
// its UTF-8 phrases and comments become encoded-words, the rest is kept.
void append_item_phrases(std::string& out, TokenIt begin, TokenIt end) {
    auto need_space_before = [&out] { return out.empty() || (!is_wsp(out.back()) && out.back() != '('); };
    for (TokenIt it = begin; it != end;) {
        if (it->kind == TokenKind::comment && has_8bit(it->text)) {
            std::string_view inner = it->text.substr(1);
            if (!inner.empty() && inner.back() == ')') {
                inner.remove_suffix(1);
            }
            out += '(';
            append_encoded_words(out, inner);
            out += ')';
            ++it;
            continue;
        }
        if (it->kind != TokenKind::word && it->kind != TokenKind::quoted) {
            out.append(it->text);
            ++it;
            continue;
        }
        // A phrase: words and quoted strings with the space between them.
        TokenIt run_end = it;
        TokenIt last_word = it;
        while (run_end != end && (run_end->kind == TokenKind::word || run_end->kind == TokenKind::quoted ||
                                  run_end->kind == TokenKind::space)) {
            if (run_end->kind != TokenKind::space) {
                last_word = run_end;
            }
            ++run_end;
        }
        const TokenIt words_end = std::next(last_word);
        if (!has_8bit(span_text(it, words_end))) {
            out.append(span_text(it, words_end));
        } else {
            // The display text: quoted strings without their quotes.
            std::string text;
            for (TokenIt w = it; w != words_end; ++w) {
                if (w->kind != TokenKind::quoted) {
                    text.append(w->text);
                    continue;
                }
                std::string_view q = w->text.substr(1);
                if (!q.empty() && q.back() == '"') {
                    q.remove_suffix(1);
                }
                for (std::size_t i = 0; i < q.size(); ++i) {
                    if (q[i] == '\\' && i + 1 < q.size()) {
                        ++i;
                    }
                    text += q[i];
                }
            }
            if (need_space_before()) {
                out += ' ';
            }
            append_encoded_words(out, text);
            if (words_end != end && words_end->kind != TokenKind::space) {
                out += ' ';
            }
        }
        it = words_end;
    }
}

// An item whose addr-spec cannot be written in ASCII: RFC 6857 makes it an
// empty group whose display name is the encoded original.
void append_as_group(std::string& out, std::string_view item) {
    const std::string_view text = trim_wsp(item);
    const auto leading = static_cast<std::size_t>(text.data() - item.data());
    out.append(item.substr(0, leading));
    if (out.empty() || !is_wsp(out.back())) {
        out += ' ';
    }
    append_encoded_words(out, text);
    out += " :;";
    out.append(item.substr(leading + text.size()));
}

void append_address_field(std::string& out, std::string_view name, std::string_view body) {
    const Tokens tokens = tokenize_addresses(body);
    std::string rewritten;
    rewritten.reserve(body.size() * 2);
    TokenIt item_begin = tokens.begin();
    bool in_angle = false;
    bool in_group = false;
    for (TokenIt it = tokens.begin();; ++it) {
        const bool at_end = it == tokens.end();
        if (!at_end && it->kind == TokenKind::special) {
            const char c = it->text.front();
            if (c == '<') {
                in_angle = true;
            } else if (c == '>') {
                in_angle = false;
            } else if (c == ':' && !in_angle) {
                in_group = true;
            } else if (c == ';' && !in_angle) {
                in_group = false;
            }
        }
        if (!at_end && !(is_special(*it, ',') && !in_angle && !in_group)) {
            continue;
        }
        // [item_begin, it) is one item: a mailbox, or a group with its members.
        const std::string_view item = span_text(item_begin, it);
        if (has_8bit(item)) {
            const auto colon = std::find_if(item_begin, it, [](const Token& t) { return is_special(t, ':'); });
            bool address_8bit = false;
            if (colon == it) {
                address_8bit = mailbox_address_has_8bit(item_begin, it);
            } else {
                // Each member between ':' and ';', split at commas.
                TokenIt member = std::next(colon);
                for (TokenIt m = member;; ++m) {
                    if (m == it || is_special(*m, ',') || is_special(*m, ';')) {
                        address_8bit = address_8bit || mailbox_address_has_8bit(member, m);
                        if (m == it) {
                            break;
                        }
                        member = std::next(m);
                    }
                }
            }
            // A domain literal belongs to an addr-spec, never to a phrase or
            // a comment: UTF-8 in one, wherever it stands (after the '>',
            // before a group's ':'), cannot be written in ASCII either.
            address_8bit = address_8bit || std::any_of(item_begin, it, [](const Token& t) {
                               return t.kind == TokenKind::literal && has_8bit(t.text);
                           });
            if (address_8bit) {
                append_as_group(rewritten, item);
            } else {
                append_item_phrases(rewritten, item_begin, it);
            }
        } else {
            rewritten.append(item);
        }
        if (at_end) {
            break;
        }
        rewritten.append(it->text);  // the comma
        item_begin = std::next(it);
        in_angle = false;
    }
    std::string head(name);
    head += ':';
    append_folded(out, head, rewritten);
}

// ---- MIME parameters (RFC 2045 section 5.1, RFC 2231 section 4) ----

// RFC 2231 attribute-char: printable ASCII but space, '*', '\'', '%' and the
// RFC 2045 tspecials.
bool is_attribute_char(char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte > 32 && byte < 127 && std::strchr("*'%()<>@,;:\\\"/[]?=", c) == nullptr;
}

void append_percent(std::string& out, std::string_view raw) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char c : raw) {
        if (is_attribute_char(c)) {
            out += c;
        } else {
            auto byte = static_cast<unsigned char>(c);
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 15];
        }
    }
}

// Splits at ';' outside quoted strings and comments.
std::vector<std::string_view> split_parameters(std::string_view body) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    bool quoted = false;
    int comment = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (c == '\\' && (quoted || comment > 0)) {
            ++i;
        } else if (quoted) {
            quoted = c != '"';
        } else if (c == '(') {
            ++comment;
        } else if (c == ')' && comment > 0) {
            --comment;
        } else if (comment == 0 && c == '"') {
            quoted = true;
        } else if (comment == 0 && c == ';') {
            parts.push_back(body.substr(start, i - start));
            start = i + 1;
        }
    }
    parts.push_back(body.substr(start));
    return parts;
}

// Rewrites one "attribute=value" with UTF-8 in its value as RFC 2231
// continuations. False when it is not of that shape (the caller then renames
// the whole field).
bool append_extended_parameter(std::string& out, std::string_view parameter) {
    const std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) {
        return false;
    }
    const std::string_view attribute = trim_wsp(parameter.substr(0, equals));
    std::string_view value = trim_wsp(parameter.substr(equals + 1));
    if (attribute.empty() || attribute.back() == '*' ||
        !std::all_of(attribute.begin(), attribute.end(), is_attribute_char) || value.empty()) {
        return false;
    }
    std::string raw;
    if (value.front() == '"') {
        if (value.size() < 2 || value.back() != '"') {
            return false;
        }
        value = value.substr(1, value.size() - 2);
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '\\' && i + 1 < value.size()) {
                ++i;
            }
            raw += value[i];
        }
    } else {
        if (std::any_of(value.begin(), value.end(), [](char c) { return is_wsp(c) || c == '"' || c == '('; })) {
            return false;
        }
        raw.assign(value);
    }
    // Pieces of whole characters, each on a line of at most 76 octets once
    // encoded (" attribute*NN*=UTF-8''...;") where the attribute leaves room.
    const std::size_t overhead = 1 + attribute.size() + 5 + 7 + 1;
    const std::size_t max_parameter_piece = overhead + 16 < max_line ? max_line - overhead : 16;
    std::vector<std::string_view> pieces;
    for (std::string_view rest = raw; !rest.empty();) {
        std::size_t octets = 0;
        std::size_t encoded = 0;
        while (octets < rest.size()) {
            std::size_t next = octets + 1;
            while (next < rest.size() && is_continuation(rest[next]) && next - octets < 4) {
                ++next;
            }
            std::size_t cost = 0;
            for (std::size_t i = octets; i < next; ++i) {
                cost += is_attribute_char(rest[i]) ? 1 : 3;
            }
            if (octets > 0 && encoded + cost > max_parameter_piece) {
                break;
            }
            encoded += cost;
            octets = next;
        }
        pieces.push_back(rest.substr(0, octets));
        rest.remove_prefix(octets);
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        out += i > 0 ? "; " : " ";
        out.append(attribute);
        if (pieces.size() > 1) {
            out += '*';
            out += std::to_string(i);
        }
        // Every piece is percent-encoded ("*=" form); the first names the charset.
        out += i == 0 ? "*=UTF-8''" : "*=";
        append_percent(out, pieces[i]);
    }
    return true;
}

void append_renamed(std::string& out, std::string_view name, std::string_view body);

void append_parameter_field(std::string& out, std::string_view name, std::string_view body) {
    const std::vector<std::string_view> parts = split_parameters(body);
    if (has_8bit(parts.front())) {
        append_renamed(out, name, body);
        return;
    }
    std::string rewritten(parts.front());
    for (std::size_t i = 1; i < parts.size(); ++i) {
        rewritten += ';';
        if (!has_8bit(parts[i])) {
            rewritten.append(parts[i]);
        } else if (!append_extended_parameter(rewritten, parts[i])) {
            append_renamed(out, name, body);
            return;
        }
    }
    std::string head(name);
    head += ':';
    append_folded(out, head, rewritten);
}

void append_renamed(std::string& out, std::string_view name, std::string_view body) {
    std::string renamed = "Downgraded-";
    renamed.append(name);
    append_unstructured(out, renamed, body);
}

// One field (its lines, with the line end of the last) that has UTF-8.
void append_downgraded_field(std::string& out, std::string_view field) {
    std::string_view line_end;
    if (!field.empty() && field.back() == '\n') {
        line_end = "\r\n";
        field.remove_suffix(field.size() >= 2 && field[field.size() - 2] == '\r' ? 2 : 1);
    }
    const std::string unfolded = unfold(field);
    const std::string_view text = unfolded;
    const std::size_t colon = text.find(':');
    std::string_view name = colon == std::string_view::npos ? std::string_view() : text.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) {
        name.remove_suffix(1);  // "Subject :" (RFC 5322 section 4.5.3)
    }
    if (!is_field_name(name)) {
        append_encoded_field(out, "Downgraded-Malformed-Line", text);
    } else {
        const std::string_view body = text.substr(colon + 1);
        if (is_address_field(name)) {
            append_address_field(out, name, body);
        } else if (is_parameter_field(name)) {
            append_parameter_field(out, name, body);
        } else if (is_structured_field(name)) {
            append_renamed(out, name, body);
        } else {
            append_unstructured(out, name, body);
        }
    }
    out.append(line_end);
}

// The end of the line that starts at `at`: just past its LF, or the end.
std::size_t line_end(std::string_view data, std::size_t at) {
    const std::size_t lf = data.find('\n', at);
    return lf == std::string_view::npos ? data.size() : lf + 1;
}

bool is_empty_line(std::string_view line) {
    return line == "\n" || line == "\r\n";
}

} // namespace

bool has_8bit(std::string_view data) {
    const char* p = data.data();
    std::size_t n = data.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        if ((word & 0x8080808080808080ULL) != 0) {
            return true;
        }
    }
    for (; n > 0; ++p, --n) {
        if ((static_cast<unsigned char>(*p) & 0x80) != 0) {
            return true;
        }
    }
    return false;
}

std::optional<std::string> downgrade_header(std::string_view header) {
    if (!has_8bit(header)) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(header.size() + header.size() / 2);
    std::size_t at = 0;
    while (at < header.size()) {
        std::size_t end = line_end(header, at);
        if (is_empty_line(header.substr(at, end - at))) {
            out.append(header.substr(at));  // the empty line ends the block
            break;
        }
        // A field goes on while lines start with a space or a tab.
        while (end < header.size() && is_wsp(header[end])) {
            end = line_end(header, end);
        }
        const std::string_view field = header.substr(at, end - at);
        if (has_8bit(field)) {
            append_downgraded_field(out, field);
        } else {
            out.append(field);
        }
        at = end;
    }
    return out;
}

std::size_t HeaderBlock::feed(std::string_view piece) {
    if (done()) {
        return 0;
    }
    std::size_t taken = piece.size();
    const char* p = piece.data();
    const char* const end = p + piece.size();
    while (p != end) {
        const char* const lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        const char* const stop = lf != nullptr ? lf : end;
        if (line_length_ == 0 && p != stop) {
            line_starts_with_cr_ = *p == '\r';
        }
        line_length_ += static_cast<std::size_t>(stop - p);
        if (lf == nullptr) {
            break;
        }
        if (line_length_ == 0 || (line_length_ == 1 && line_starts_with_cr_)) {
            complete_ = true;
            taken = static_cast<std::size_t>(lf + 1 - piece.data());
            break;
        }
        line_length_ = 0;
        p = lf + 1;
    }
    const std::string_view part = piece.substr(0, taken);
    bytes_.append(part);
    eight_bit_ = eight_bit_ || has_8bit(part);
    if (bytes_.size() > max_downgrade_header) {
        too_large_ = true;
    }
    return taken;
}

std::optional<std::string> HeaderBlock::downgraded() const {
    if (too_large_ || !eight_bit_) {
        return std::nullopt;
    }
    return downgrade_header(bytes_);
}

void HeaderBlock::clear() {
    bytes_.clear();
    line_length_ = 0;
    line_starts_with_cr_ = false;
    eight_bit_ = false;
    complete_ = false;
    too_large_ = false;
}

std::uint64_t downgraded_wire_size(std::uint64_t size, const HeaderBlock& block) {
    const std::optional<std::string> downgraded = block.downgraded();
    if (!downgraded) {
        return size;
    }
    WireSizeCounter before;
    before.feed(block.bytes());
    WireSizeCounter after;
    after.feed(*downgraded);
    // The block ends in its empty line (so sizes add up) or is the whole
    // message. A ",W=" smaller than the header is a lie; do not wrap around.
    return size >= before.total() ? size - before.total() + after.total() : after.total();
}

} // namespace poplar::store
