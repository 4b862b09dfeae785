// poplar's command line: one binary, subcommands (serve, check-config).
#include "cli/passwd_report.hpp"
#include "cli/tls_report.hpp"
#include "config/config.hpp"
#include "net/server.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using poplar::config::Config;
using poplar::config::ConfigError;
using poplar::config::Override;

// Where poplar looks when --config is not given; if it does not exist, the
// built-in defaults apply (handy for `-o` only runs and first tries).
constexpr const char* default_config_path = "/etc/poplar/poplar.toml";

struct Options {
    std::string config_file;
    std::vector<std::string> overrides;
};

std::optional<std::filesystem::path> config_path(const Options& options) {
    if (!options.config_file.empty()) {
        return std::filesystem::path(options.config_file);
    }
    std::error_code ec;
    if (std::filesystem::exists(default_config_path, ec)) {
        return std::filesystem::path(default_config_path);
    }
    return std::nullopt;
}

Config load_config(const Options& options) {
    std::vector<Override> overrides;
    for (const auto& text : options.overrides) {
        overrides.push_back(poplar::config::parse_override(text));
    }
    return poplar::config::load(config_path(options), overrides);
}

void add_config_options(CLI::App& command, Options& options) {
    command.add_option("-c,--config", options.config_file, "config file (default: /etc/poplar/poplar.toml if present)");
    command.add_option("-o,--option", options.overrides, "override a config key, e.g. -o idle_timeout=20m (repeatable)");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"poplar: a POP3 server for Maildir mailboxes, Dovecot-compatible."};
    app.footer(R"(Examples:
  poplar serve --config /etc/poplar/poplar.toml
  poplar serve -c poplar.toml -o listen=127.0.0.1:1110 -o auth_failure_delay=0s
  poplar check-config -c poplar.toml      # validate and print the effective values

Signals (serve): TERM or INT stops (no DELE mark is applied), HUP reloads the
config and the passwd-file. Logs go to stderr.)");
    app.set_version_flag("--version", "poplar 0.1.0");
    app.require_subcommand(1);

    Options serve_options;
    auto* serve = app.add_subcommand("serve", "run the POP3 server in the foreground");
    add_config_options(*serve, serve_options);

    Options check_options;
    auto* check = app.add_subcommand(
        "check-config",
        "validate the config, print the effective values and check the passwd-file "
        "(exit 0: all good, 1: some users cannot log in, 2: config error)");
    add_config_options(*check, check_options);

    if (argc == 1) {
        // `poplar` alone: show what it can do rather than one terse line.
        std::cerr << app.help();
        return 64;  // EX_USAGE
    }
    CLI11_PARSE(app, argc, argv);

    // A log reader that goes away (a pipe to logger) must not kill the server;
    // sockets already send with MSG_NOSIGNAL.
    std::signal(SIGPIPE, SIG_IGN);

    try {
        if (check->parsed()) {
            const Config config = load_config(check_options);
            std::cout << poplar::config::describe(config);
            // Exit 2: the server would not start; 1: some users could not log in.
            if (!poplar::cli::report_tls(config, std::cerr)) return 2;
            return poplar::cli::report_passwd_file(config.passwd_file, std::cerr) ? 0 : 1;
        }
        const Config config = load_config(serve_options);
        return poplar::net::serve(config, [serve_options] { return load_config(serve_options); });
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "poplar: config error: %s\n", e.what());
        return 2;
    }
}
