// Loading the config: the TOML file, then the -o overrides, then one validation
// pass over every key; and describe(), the effective config as TOML.
#include "config/config.hpp"

#include "config/checks.hpp"
#include "config/keys.hpp"
#include "config/value.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <tuple>
#include <toml++/toml.h>

namespace poplar::config {

namespace {

constexpr std::size_t shown = 80; // longest piece of a bad value quoted in a message

// Where a value came from: the defaults, a line of the file, or the n-th -o.
// Errors are reported in this order, so they read like the input.
struct Origin {
    enum Source { defaults, file, override } source = defaults;
    std::size_t line = 0; // line in the file, or index of the override
    std::size_t column = 0;
    std::string text; // "poplar.toml:3:11", "-o \"workers=5\""

    auto operator<=>(const Origin& other) const {
        return std::tie(source, line, column) <=> std::tie(other.source, other.line, other.column);
    }
};

// A key's value while the config is being assembled, and who set it last, so
// an error can point at the line (or the -o) to fix.
struct Entry {
    Value value;
    Origin origin;
};

struct Error {
    Origin origin;
    std::string text;
};

void report(std::vector<Error>& errors, const Origin& origin, std::string_view message) {
    errors.push_back({origin, fmt::format("{}: {}", origin.text, message)});
}

Origin in_file(const std::string& file, const toml::source_region& region) {
    return {Origin::file, region.begin.line, region.begin.column,
            fmt::format("{}:{}:{}", file, region.begin.line, region.begin.column)};
}

std::string_view type_name(toml::node_type type) {
    switch (type) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::none: break;
    }
    return "nothing";
}

// The node as it might have been written, short and on one line, for an error message.
std::string node_text(const toml::node& node) {
    if (const auto* text = node.as_string())
        return quote(text->get(), shown);
    if (node.is_array())
        return "[...]";
    if (node.is_table())
        return "{...}";
    std::ostringstream out;
    node.visit([&](const auto& value) {
        if constexpr (!toml::is_container<decltype(value)>)
            out << value;
    });
    return out.str();
}

// What `kind` expects, said as the end of "must be ...".
std::string_view expected(Kind kind) {
    switch (kind) {
    case Kind::string: return "a string";
    case Kind::string_list: return "an array of strings";
    case Kind::boolean: return "true or false";
    case Kind::unsigned_integer: return "a whole number";
    case Kind::duration: return R"(a duration such as "30s", "10m" or a number of seconds)";
    }
    return "";
}

// The node as a value of the key's kind; throws InvalidValue if TOML typed it otherwise.
Value from_toml(const Key& key, const toml::node& node) {
    const auto wrong_type = [&] {
        return InvalidValue(fmt::format("must be {}, not {}", expected(key.kind()), type_name(node.type())));
    };
    switch (key.kind()) {
    case Kind::string:
        if (const auto* text = node.as_string())
            return text->get();
        throw wrong_type();
    case Kind::string_list: {
        const auto* array = node.as_array();
        if (!array)
            throw wrong_type();
        std::vector<std::string> items;
        for (const toml::node& item : *array) {
            const auto* text = item.as_string();
            if (!text)
                throw InvalidValue(fmt::format("must be an array of strings, but holds {}", type_name(item.type())));
            items.push_back(text->get());
        }
        return items;
    }
    case Kind::boolean:
        if (const auto* flag = node.as_boolean())
            return flag->get();
        throw wrong_type();
    case Kind::unsigned_integer:
        if (const auto* number = node.as_integer()) {
            if (number->get() < 0)
                throw InvalidValue(out_of_bounds(key));
            return static_cast<std::uint64_t>(number->get());
        }
        throw wrong_type();
    case Kind::duration:
        if (const auto* number = node.as_integer())
            return duration_from_seconds(number->get());
        if (const auto* text = node.as_string())
            return parse_duration(text->get());
        throw wrong_type();
    }
    throw wrong_type();
}

// The override's text as a value of the key's kind; throws InvalidValue.
Value from_text(const Key& key, const std::string& text) {
    switch (key.kind()) {
    case Kind::string: return text;
    case Kind::string_list: return parse_list(text);
    case Kind::boolean: return parse_bool(text);
    case Kind::unsigned_integer: return parse_unsigned(text);
    case Kind::duration: return parse_duration(text);
    }
    throw InvalidValue("has a kind this version cannot read");
}

std::string unknown_key(std::string_view name) {
    const std::string quoted = quote(name, shown);
    std::string message = fmt::format("unknown key '{}'", std::string_view(quoted).substr(1, quoted.size() - 2));
    if (const auto suggestion = suggest_key(name))
        message += fmt::format(" (did you mean '{}'?)", *suggestion);
    return message;
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw ConfigError(fmt::format("cannot read config file {}: {}", file.string(), std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw ConfigError(fmt::format("cannot read config file {}: {}", file.string(), std::strerror(errno)));
    return std::move(text).str();
}

std::size_t index_of(const Key& key) { return static_cast<std::size_t>(&key - keys().data()); }

void apply_file(const std::filesystem::path& file, std::vector<Entry>& entries, std::vector<Error>& errors) {
    const std::string name = file.string();
    const std::string text = read_file(file);
    toml::table document;
    try {
        document = toml::parse(text, name);
    } catch (const toml::parse_error& error) {
        // Syntax errors stop here: past one, the parser's view of the rest is guesswork.
        throw ConfigError(fmt::format("{}: {}", in_file(name, error.source()).text, error.description()));
    }
    for (const auto& [toml_key, node] : document) {
        const Key* key = find_key(toml_key.str());
        if (!key) {
            report(errors, in_file(name, toml_key.source()), unknown_key(toml_key.str()));
            continue;
        }
        const Origin origin = in_file(name, node.source());
        try {
            entries[index_of(*key)] = {from_toml(*key, node), origin};
        } catch (const InvalidValue& why) {
            report(errors, origin, fmt::format("{} = {}: {}", key->name, node_text(node), why.what()));
        }
    }
}

void apply_override(const Override& item, std::size_t index, std::vector<Entry>& entries, std::vector<Error>& errors) {
    const Origin origin{Origin::override, index, 0, fmt::format("-o {}", quote(item.key + "=" + item.value, shown))};
    const Key* key = find_key(item.key);
    if (!key) {
        report(errors, origin, unknown_key(item.key));
        return;
    }
    try {
        entries[index_of(*key)] = {from_text(*key, item.value), origin};
    } catch (const InvalidValue& why) {
        report(errors, origin, fmt::format("{} = {}: {}", key->name, quote(item.value, shown), why.what()));
    }
}

} // namespace

Override parse_override(std::string_view text) {
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos)
        throw ConfigError(fmt::format("override {} has no '=': write -o key=value", quote(text, shown)));
    if (equals == 0)
        throw ConfigError(fmt::format("override {} has no key before '=': write -o key=value", quote(text, shown)));
    return Override{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

Config load(const std::optional<std::filesystem::path>& file, const std::vector<Override>& overrides) {
    // Start from Config's own defaults, so they are written in one place only.
    const Config defaults;
    std::vector<Entry> entries;
    for (const Key& key : keys())
        entries.push_back({get(defaults, key), Origin{Origin::defaults, 0, 0, "default"}});

    // Every mistake is reported at once, so an administrator fixes the file in one go.
    std::vector<Error> errors;
    if (file)
        apply_file(*file, entries, errors);
    for (std::size_t i = 0; i < overrides.size(); ++i)
        apply_override(overrides[i], i, entries, errors);

    // The one validation pass, on the final values: an override may mend a
    // file's bad value, and bounds are checked before any value is narrowed.
    for (const Key& key : keys()) {
        const Entry& entry = entries[index_of(key)];
        if (auto why = validate(key, entry.value))
            report(errors, entry.origin, fmt::format("{} = {}: {}", key.name, format_value(entry.value, shown), *why));
    }
    if (!errors.empty()) {
        std::stable_sort(errors.begin(), errors.end(),
                         [](const Error& a, const Error& b) { return a.origin < b.origin; });
        std::string message;
        for (const Error& error : errors)
            message += (message.empty() ? "" : "\n") + error.text;
        throw ConfigError(message);
    }

    Config config;
    for (const Key& key : keys())
        set(config, key, entries[index_of(key)].value);
    std::string message;
    for (const std::string& problem : check_combination(config))
        message += (message.empty() ? "" : "\n") + problem;
    if (!message.empty())
        throw ConfigError(message);
    return config;
}

std::string describe(const Config& config) {
    std::string out = "# poplar configuration, effective values (durations: \"500ms\", \"30s\", \"10m\", \"1h\").\n";
    for (const Key& key : keys())
        out += fmt::format("\n# {}\n{} = {}\n", doc_line(key), key.name, format_value(get(config, key)));
    return out;
}

} // namespace poplar::config
