//! `workvoice-cli`: drive the Workvoice phone core from a terminal.
//!
//! ```text
//! workvoice-cli --data-dir D --relay URL [--root-key HEX] [--language L] [--ohttp-relay URL] [--fast-kdf] [--verbose] COMMAND
//!   init --pin PIN [--duress-pin PIN]     set up: prints the recovery code to write down
//!   report --pin PIN --from report.json   compose and queue a report (offline is fine)
//!   send --pin PIN [--timeout SECS]       send what waits, upload evidence (retries with backoff)
//!   outbox --pin PIN                      list reports and where they stand
//!   mailbox --pin PIN                     check for news and answers, print them
//!   recover --pin PIN --code CODE         on a new phone: find the reports of a recovery code
//!   withdraw --pin PIN --report ID        delete a report not sent yet, or ask for a sent one back
//!   route --pin PIN [--unreachable wait|direct] [--via URL]
//!                                         when no OHTTP relay answers: wait, or send directly;
//!                                         an OHTTP relay of the worker's own ("" forgets it)
//!   invite --pin PIN --code CODE          keep the escrow invite a union gave ("" forgets it)
//! ```
//!
//! `--ohttp-relay` names an OHTTP relay to try before those the signed directory lists.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use workvoice_cli::{Shell, ShellConfig, ShellError, format_outbox, read_report_file};
use workvoice_core::app::{Event, Screen};

const USAGE: &str = "usage: workvoice-cli --data-dir DIR --relay URL [--root-key HEX] [--language CODE] [--ohttp-relay URL] [--fast-kdf] [--verbose] \
COMMAND\n  init --pin PIN [--duress-pin PIN]\n  report --pin PIN --from FILE.json\n  send --pin PIN [--timeout SECS]\n  \
outbox --pin PIN\n  mailbox --pin PIN\n  recover --pin PIN --code CODE\n  withdraw --pin PIN --report ID\n  \
route --pin PIN [--unreachable wait|direct] [--via URL]\n  invite --pin PIN --code CODE";

struct Args {
    options: Vec<(String, String)>,
    flags: Vec<String>,
    command: Option<String>,
}

fn parse(raw: Vec<String>) -> Result<Args, ShellError> {
    let mut args = Args {
        options: Vec::new(),
        flags: Vec::new(),
        command: None,
    };
    let mut iter = raw.into_iter();
    while let Some(arg) = iter.next() {
        if let Some(name) = arg.strip_prefix("--") {
            if matches!(name, "fast-kdf" | "verbose" | "quick-retries") {
                args.flags.push(name.to_string());
            } else {
                let value = iter
                    .next()
                    .ok_or_else(|| ShellError::Usage(format!("--{name} needs a value\n{USAGE}")))?;
                args.options.push((name.to_string(), value));
            }
        } else if args.command.is_none() {
            args.command = Some(arg);
        } else {
            return Err(ShellError::Usage(format!(
                "unexpected argument {arg}\n{USAGE}"
            )));
        }
    }
    Ok(args)
}

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn need(&self, name: &str) -> Result<&str, ShellError> {
        self.get(name)
            .ok_or_else(|| ShellError::Usage(format!("--{name} is required\n{USAGE}")))
    }

    fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}

fn run() -> Result<String, ShellError> {
    let args = parse(std::env::args().skip(1).collect())?;
    let command = args
        .command
        .clone()
        .ok_or_else(|| ShellError::Usage(USAGE.into()))?;
    let config = ShellConfig {
        data_dir: args.need("data-dir")?.to_string(),
        relay_url: args.need("relay")?.to_string(),
        root_public_key: args.get("root-key").map(str::to_string),
        language: args.get("language").unwrap_or("en").to_string(),
        fast_kdf: args.flag("fast-kdf"),
        quick_retries: args.flag("quick-retries"),
        ohttp_relay: args.get("ohttp-relay").map(str::to_string),
    };
    let mut shell = Shell::start(&config)?;
    shell.verbose = args.flag("verbose");
    let pin = args.need("pin")?;
    match command.as_str() {
        "init" => {
            let code = shell.init(pin, args.get("duress-pin"))?;
            Ok(format!(
                "Recovery code (write it down, keep it away from the phone):\n{code}\n"
            ))
        }
        "recover" => {
            let items = shell.recover(pin, args.need("code")?)?;
            let notice = shell.view()?.notice.map(|n| n.text).unwrap_or_default();
            Ok(format!("{notice}\n{}", format_outbox(&items)))
        }
        other => {
            shell.unlock(pin)?;
            match other {
                "report" => {
                    let path = PathBuf::from(args.need("from")?);
                    let file = read_report_file(&path)?;
                    let base = path.parent().map(PathBuf::from).unwrap_or_default();
                    shell.compose(&file, &base)?;
                    let notice = shell.view()?.notice.map(|n| n.text).unwrap_or_default();
                    Ok(format!("{notice}\n{}", format_outbox(&shell.outbox()?)))
                }
                "send" => {
                    let secs: u64 = args
                        .get("timeout")
                        .unwrap_or("60")
                        .parse()
                        .map_err(|_| ShellError::Usage("--timeout takes seconds".into()))?;
                    let items = shell.sync_until_sent(Duration::from_secs(secs))?;
                    let notice = shell.view()?.notice.map(|n| n.text + "\n");
                    Ok(notice.unwrap_or_default() + &format_outbox(&items))
                }
                "route" => {
                    let mut said = String::new();
                    if let Some(url) = args.get("via") {
                        shell.send(&Event::OpenSettings)?;
                        shell.send(&Event::SetOhttpRelay { url: url.into() })?;
                        if let Screen::Settings {
                            ohttp_relay_error: Some(error),
                            ..
                        } = shell.view()?.screen
                        {
                            return Err(ShellError::App(error));
                        }
                        said.push_str(&format!("Own OHTTP relay: {url:?}.\n"));
                    }
                    if let Some(unreachable) = args.get("unreachable") {
                        let send_directly = match unreachable {
                            "wait" => false,
                            "direct" => true,
                            other => {
                                return Err(ShellError::Usage(format!(
                                    "--unreachable takes wait or direct, not {other:?}"
                                )));
                            }
                        };
                        shell.send(&Event::SetSendDirectly { send_directly })?;
                        let how = if send_directly {
                            "send directly"
                        } else {
                            "wait"
                        };
                        said.push_str(&format!("When no OHTTP relay answers: {how}.\n"));
                    }
                    if said.is_empty() {
                        return Err(ShellError::Usage(
                            "route takes --unreachable wait|direct and/or --via URL".into(),
                        ));
                    }
                    Ok(said)
                }
                "invite" => {
                    let code = args.need("code")?;
                    shell.send(&Event::OpenSettings)?;
                    shell.send(&Event::SetEscrowInvite { code: code.into() })?;
                    match shell.view()?.screen {
                        // Refused: the app's reason, nothing kept; a usage error (exit 2).
                        Screen::Settings {
                            escrow_invite_error: Some(error),
                            ..
                        } => Err(ShellError::Usage(format!("invalid_invite: {error}"))),
                        Screen::Settings {
                            escrow_invite_kept: Some(kept),
                            ..
                        } => Ok(format!("Escrow invite. {kept}\n")),
                        _ => Ok("Escrow invite forgotten.\n".into()),
                    }
                }
                "outbox" => Ok(format_outbox(&shell.outbox()?)),
                "withdraw" => {
                    let id = args.need("report")?.to_string();
                    Ok(match shell.withdraw(&id)? {
                        Some(state) => format!("{state}\n"),
                        None => {
                            format!("Report {id} deleted: it was not sent and never will be.\n")
                        }
                    })
                }
                "mailbox" => {
                    shell.send(&Event::CheckMailbox)?;
                    let items = shell.outbox()?;
                    let mut out = format_outbox(&items);
                    for item in items.iter().filter(|i| !i.report_id.is_empty()) {
                        shell.send(&Event::OpenReport {
                            report_id: item.report_id.clone(),
                        })?;
                        if let Screen::Report(report) = shell.view()?.screen {
                            for status in &report.statuses {
                                out.push_str(&format!("{}: {status}\n", item.title));
                            }
                            for message in &report.messages {
                                out.push_str(&format!(
                                    "{} — {}: {}\n",
                                    item.title, message.from, message.text
                                ));
                            }
                        }
                    }
                    Ok(out)
                }
                _ => Err(ShellError::Usage(format!(
                    "unknown command {other}\n{USAGE}"
                ))),
            }
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("workvoice-cli: {e}");
            ExitCode::from(match e {
                ShellError::Usage(_) => 2,
                _ => 1,
            })
        }
    }
}
