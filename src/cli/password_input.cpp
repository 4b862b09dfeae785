// Password input (see password_input.hpp).
#include "cli/password_input.hpp"

#include "auth/credentials.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace poplar::cli {
namespace {

// One line from the terminal with echo off; the terminal is restored even
// when reading fails.
std::optional<std::string> prompt_without_echo(const char* prompt) {
    std::fputs(prompt, stderr);
    std::fflush(stderr);
    termios saved{};
    const bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputs("\n", stderr);
    }
    if (!got) return std::nullopt;
    return line;
}

} // namespace

std::optional<std::string> read_new_password() {
    std::optional<std::string> password;
    if (::isatty(STDIN_FILENO)) {
        password = prompt_without_echo("New password: ");
        auto again = prompt_without_echo("Retype new password: ");
        if (password && again && *password != *again) {
            std::cerr << "poplar: the two passwords differ\n";
            auth::wipe(*password);
            auth::wipe(*again);
            return std::nullopt;
        }
        if (again) auth::wipe(*again);
    } else {
        std::string line;
        if (std::getline(std::cin, line)) password = std::move(line);
    }
    if (!password) {
        std::cerr << "poplar: no password given (type it, or give one line on stdin)\n";
        return std::nullopt;
    }
    if (!password->empty() && password->back() == '\r') password->pop_back();
    if (password->empty()) {
        std::cerr << "poplar: the password is empty\n";
        return std::nullopt;
    }
    return password;
}

} // namespace poplar::cli
