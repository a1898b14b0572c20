//! `workvoice-sms`: the SMS channel, run by an organisation next to its desk.
//!
//! ```text
//! workvoice-sms --data-dir DIR --relay URL --root-key HEX --listen ADDR
//!               --gateway android|jasmin --gateway-url URL [--poll-secs N]
//! environment: WORKVOICE_SMS_WEBHOOK_SECRET  the Android app's signing key, or the secret in
//!                                            the URL Jasmin calls (`?secret=`)
//!              WORKVOICE_SMS_GATEWAY_USER, WORKVOICE_SMS_GATEWAY_PASSWORD  the send API's account
//! ```
//! Secrets come from the environment, never the command line (which other users can list).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workvoice_sms::gateway::Outbound;
use workvoice_sms::service::{InboundAuth, Limits};
use workvoice_sms::startup::{Config, open_engine, serve};

const USAGE: &str = "usage: workvoice-sms --data-dir DIR --relay URL --root-key HEX --listen ADDR \
--gateway android|jasmin --gateway-url URL [--poll-secs N] [--fast-kdf]\n\
environment: WORKVOICE_SMS_WEBHOOK_SECRET, WORKVOICE_SMS_GATEWAY_USER, WORKVOICE_SMS_GATEWAY_PASSWORD";

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn need(args: &[String], name: &str) -> Result<String, String> {
    arg(args, name).ok_or_else(|| format!("{name} is required\n{USAGE}"))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} must be set\n{USAGE}"))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gateway_url = need(&args, "--gateway-url")?;
    let secret = env("WORKVOICE_SMS_WEBHOOK_SECRET")?.into_bytes();
    let username = env("WORKVOICE_SMS_GATEWAY_USER")?;
    let password = env("WORKVOICE_SMS_GATEWAY_PASSWORD")?;
    let (outbound, inbound) = match need(&args, "--gateway")?.as_str() {
        "android" => (
            Outbound::Android {
                base_url: gateway_url,
                username,
                password,
            },
            InboundAuth::Android {
                signing_key: secret,
            },
        ),
        "jasmin" => (
            Outbound::Jasmin {
                base_url: gateway_url,
                username,
                password,
            },
            InboundAuth::Jasmin { secret },
        ),
        other => return Err(format!("unknown gateway {other}\n{USAGE}")),
    };
    let poll_secs: u64 = arg(&args, "--poll-secs")
        .map(|s| {
            s.parse()
                .map_err(|_| "--poll-secs takes seconds".to_string())
        })
        .transpose()?
        .unwrap_or(300);
    let config = Config {
        data_dir: need(&args, "--data-dir")?.into(),
        relay_url: need(&args, "--relay")?,
        root_public_key: need(&args, "--root-key")?,
        outbound,
        inbound: inbound.clone(),
        limits: Limits::default(),
        fast_kdf: args.iter().any(|a| a == "--fast-kdf"),
    };
    let listen = need(&args, "--listen")?;
    let engine = open_engine(&config).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| format!("{listen}: {e}"))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        // Only the address: no number, no message, ever reaches the log.
        eprintln!("workvoice-sms listening on {address}");
        serve(
            listener,
            Arc::new(Mutex::new(engine)),
            inbound,
            Duration::from_secs(poll_secs.max(1)),
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
        )
        .await
        .map_err(|e| e.to_string())
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workvoice-sms: {e}");
            ExitCode::from(2)
        }
    }
}
