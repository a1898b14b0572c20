//! `workvoice-demo`: a relay on SQLite, a union desk and an inspectorate desk, six reports sent
//! through the real phone core, and both desks' web UIs on 127.0.0.1, in one command.
//! `scripts/demo` builds and runs it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use workvoice_demo::{Demo, DemoOptions};

#[derive(Debug, Parser)]
#[command(
    name = "workvoice-demo",
    version,
    about = "Run Workvoice on this machine: a relay, a union desk and an inspectorate desk, with six reports sent by the phone core"
)]
struct Cli {
    /// The demo's data directory (made fresh; refused if it holds an earlier demo, see --fresh).
    #[arg(long, default_value = "demo-data")]
    dir: PathBuf,
    /// Delete an earlier demo in --dir first.
    #[arg(long)]
    fresh: bool,
    /// The relay's port on 127.0.0.1 (0: any free port; a taken port falls back to a free one).
    #[arg(long, default_value_t = 8700)]
    relay_port: u16,
    /// The union desk's port on 127.0.0.1.
    #[arg(long, default_value_t = 8701)]
    desk_port: u16,
    /// The inspectorate desk's port on 127.0.0.1.
    #[arg(long, default_value_t = 8702)]
    inspectorate_port: u16,
    /// Proof-of-work difficulty the relay asks of phones.
    #[arg(long, default_value_t = 12)]
    pow_difficulty: u8,
    /// Set everything up, print the summary, stop everything and exit (for tests).
    #[arg(long)]
    exit_after_setup: bool,
}

fn say(text: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = DemoOptions {
        dir: cli.dir,
        fresh: cli.fresh,
        relay_port: cli.relay_port,
        desk_port: cli.desk_port,
        inspectorate_port: cli.inspectorate_port,
        pow_difficulty: cli.pow_difficulty,
    };
    say(&format!(
        "Setting up the Workvoice demo in {} ...",
        options.dir.display()
    ));
    let demo = match Demo::start(options, &|step| say(&format!("  - {step}"))).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("workvoice-demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    say(&demo.summary.render());
    if cli.exit_after_setup {
        say("Stopping (--exit-after-setup).");
    } else {
        say("Press Ctrl-C to stop the relay and both desks.");
        shutdown_signal().await;
        say("\nStopping the desks and the relay ...");
    }
    match demo.stop().await {
        Ok(()) => {
            say(
                "Stopped. The data stays in the demo directory; run again with --fresh to start over.",
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("workvoice-demo: stopping: {e}");
            ExitCode::FAILURE
        }
    }
}
