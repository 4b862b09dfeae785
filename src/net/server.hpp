// The server: listeners, one event loop per worker thread, the blocking-work
// pool, signals (SIGTERM/SIGINT stop, SIGHUP reloads) and a two-stage shutdown.
#pragma once

#include "config/config.hpp"

#include <functional>

namespace poplar::net {

// Loads the config again (same file, same overrides) for SIGHUP; throws
// config::ConfigError if the new file is bad (the old config then stays).
using ConfigLoader = std::function<config::Config()>;

// Binds every listener (a bind failure is reported on stderr with the address
// and exit code 1), logs "listening on ADDR" for each and then "ready", and
// serves until SIGTERM or SIGINT. On stop: no new connections; every session
// is ended without applying its DELE marks; sessions get up to 5 s to finish,
// then the process exits with 0.
int serve(const config::Config& initial, ConfigLoader reload);

} // namespace poplar::net
