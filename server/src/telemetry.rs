//! Logging: `tracing` to stdout as text or JSON lines. Request logs carry the method, the
//! matched route template, the status and the latency, never a path (mailbox tokens are in
//! paths), a query string, an address or a user agent.

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
        registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stdout))
            .try_init()
    };
    // Already initialised (tests start many relays in one process): keep the first.
    let _ = result;
}
