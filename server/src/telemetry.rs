//! Logging: `tracing` to stdout as text or JSON lines. Request logs carry the method, the
//! matched route template, the status and the latency, never a path (mailbox tokens are in
//! paths), a query string, an address or a user agent. Text logs carry terminal colour codes
//! only when stdout is a terminal (not in journald or a file).

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Install the global subscriber (once; later calls do nothing).
pub fn init(json: bool, filter: &str) {
    let targets: Targets = filter
        .parse()
        .unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO));
    let registry = tracing_subscriber::registry().with(targets);
    let result = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stdout),
            )
            .try_init()
    } else {
        let colour = std::io::IsTerminal::is_terminal(&std::io::stdout());
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(colour)
                    .with_writer(std::io::stdout),
            )
            .try_init()
    };
    // Already initialised (tests start many relays in one process): keep the first.
    let _ = result;
}
