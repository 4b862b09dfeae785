// poplar's command line: one binary, subcommands (serve, check-config, pw,
// user, mailbox, deliver, migrate-uidl).
#include "cli/admin_commands.hpp"
#include "cli/deliver_command.hpp"
#include "cli/expire_command.hpp"
#include "cli/migrate_command.hpp"
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
  poplar user add alice                   # add a user (password typed twice, or one line on stdin)
  poplar pw -s SHA512-CRYPT               # hash a password for a passwd-file, like doveadm pw
  poplar migrate-uidl alice uidls.txt     # keep the UIDLs another server showed alice's clients

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

    std::string pw_scheme = "YESCRYPT";
    auto* pw = app.add_subcommand("pw", "hash a password (typed twice, or one line on stdin) for a passwd-file, "
                                        "like doveadm pw; prints {SCHEME}secret");
    pw->add_option("-s,--scheme", pw_scheme, "YESCRYPT (default), SHA512-CRYPT, BLF-CRYPT, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN");

    Options user_options;
    auto* user = app.add_subcommand("user", "add, change, remove or list passwd-file users (the file is replaced "
                                            "atomically; their Maildirs are made and removed)");
    user->require_subcommand(1);
    poplar::cli::UserAddOptions add_options;
    auto* user_add = user->add_subcommand("add", "add a user and make its Maildir");
    user_add->add_option("name", add_options.name, "user name")->required();
    user_add->add_option("-s,--scheme", add_options.scheme, "password scheme (default YESCRYPT)");
    user_add->add_option("--uid", add_options.uid, "owner uid of the Maildir (passwd-file field; default empty)");
    user_add->add_option("--gid", add_options.gid, "owner gid of the Maildir (passwd-file field; default empty)");
    user_add->add_option("--home", add_options.home, "home folder (passwd-file field, %h in mail_path)");
    std::string user_name;
    std::string passwd_scheme = "YESCRYPT";
    auto* user_passwd = user->add_subcommand("passwd", "set a user's password");
    user_passwd->add_option("name", user_name, "user name")->required();
    user_passwd->add_option("-s,--scheme", passwd_scheme, "password scheme (default YESCRYPT)");
    bool keep_mail = false;
    auto* user_del = user->add_subcommand("del", "remove a user and its Maildir (refused while a POP3 session holds it)");
    user_del->add_option("name", user_name, "user name")->required();
    user_del->add_flag("--keep-mail", keep_mail, "remove only the passwd-file line");
    auto* user_list = user->add_subcommand("list", "print the user names");
    for (auto* command : {user_add, user_passwd, user_del, user_list}) add_config_options(*command, user_options);

    Options deliver_options;
    std::string deliver_user;
    auto* deliver = app.add_subcommand("deliver", "deliver the message on stdin to USER's Maildir (Postfix "
                                                  "mailbox_command); exit codes from sysexits.h");
    deliver->add_option("user", deliver_user, "the recipient's user name")->required();
    add_config_options(*deliver, deliver_options);

    Options expire_options;
    std::vector<std::string> expire_users;
    bool expire_dry_run = false;
    auto* expire = app.add_subcommand("expire", "remove messages first retrieved at least EXPIRE days ago (for cron "
                                                "or a systemd timer); every user, or those named");
    expire->add_option("users", expire_users, "user names (default: every user in the passwd-file)");
    expire->add_flag("-n,--dry-run", expire_dry_run, "only list what would be removed");
    add_config_options(*expire, expire_options);

    Options mailbox_options;
    auto* mailbox = app.add_subcommand("mailbox", "look at a user's mailbox");
    mailbox->require_subcommand(1);
    auto* mailbox_stats = mailbox->add_subcommand("stats", "message count, sizes and the oldest message's age");
    mailbox_stats->add_option("name", user_name, "user name")->required();
    add_config_options(*mailbox_stats, mailbox_options);

    Options migrate_options;
    std::string migrate_user;
    std::string migrate_file;
    auto* migrate = app.add_subcommand(
        "migrate-uidl",
        "import a 'msgid-or-filename UIDL' map exported from another server, so that its clients keep their "
        "UIDLs (exit 0 done, 65 bad line: nothing imported, 66 unreadable FILE, 67 unknown user, 75 in use)");
    migrate->add_option("user", migrate_user, "the user whose Maildir the map is for")->required();
    migrate->add_option("file", migrate_file, "the map: one '<Message-ID or file name> <UIDL>' per line")->required();
    add_config_options(*migrate, migrate_options);

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
        if (pw->parsed()) {
            return poplar::cli::run_pw(pw_scheme);
        }
        if (user->parsed()) {
            const Config config = load_config(user_options);
            if (user_add->parsed()) return poplar::cli::run_user_add(config, add_options);
            if (user_passwd->parsed()) return poplar::cli::run_user_passwd(config, user_name, passwd_scheme);
            if (user_del->parsed()) return poplar::cli::run_user_del(config, user_name, keep_mail);
            if (user_list->parsed()) return poplar::cli::run_user_list(config);
        }
        if (deliver->parsed()) {
            Config config;
            try {
                config = load_config(deliver_options);
            } catch (const ConfigError& e) {
                // The MTA keeps the message and retries: a config mistake
                // must never bounce mail.
                std::fprintf(stderr, "poplar: deliver: config error: %s\n", e.what());
                return 75;  // EX_TEMPFAIL
            }
            return poplar::cli::run_deliver(config, deliver_user);
        }
        if (expire->parsed()) {
            return poplar::cli::run_expire(load_config(expire_options), expire_users, expire_dry_run);
        }
        if (migrate->parsed()) {
            return poplar::cli::run_migrate_uidl(load_config(migrate_options), migrate_user, migrate_file);
        }
        if (mailbox_stats->parsed()) {
            return poplar::cli::run_mailbox_stats(load_config(mailbox_options), user_name);
        }
        const Config config = load_config(serve_options);
        return poplar::net::serve(config, [serve_options] { return load_config(serve_options); });
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "poplar: config error: %s\n", e.what());
        return 2;
    }
}
