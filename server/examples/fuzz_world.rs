//! A small world for API fuzzing with the real `workvoice-relay serve` binary
//! (`scripts/schemathesis`).
//!
//! ```text
//! fuzz_world seed DATA_DIR   # before `serve`: the fixture world in DATA_DIR's SQLite file
//! fuzz_world submit URL      # once it listens: one report with two sealed attachments
//! ```
//!
//! `seed` prepares the data directory as `workvoice_relay::testing::seed_fixture_world` does
//! (fixture root and relay keys, the union, the inspectorate and the NGO with certificates,
//! the fixture rules, a published directory with proof-of-work difficulty 4) and prints
//! shell assignments: `ROOT_PUBLIC_KEY=…`, `UNION_TOKEN=…`, `INSPECTORATE_ID=…`.
//! `submit` fetches and verifies the relay's directory, posts one sealed fixture report (to
//! the union and the inspectorate) declaring two attachments, uploads the first completely and
//! half of the second, and prints `REPORT_ID=…`, `MAILBOX_TOKEN=…`, `ATTACHMENT_COMPLETE=…`,
//! `ATTACHMENT_PARTIAL=…`. Everything goes to the URL given (127.0.0.1 in the script).

use std::path::PathBuf;
use std::process::ExitCode;

use workvoice_proto::directory::verify_directory;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::configuration::Settings;
use workvoice_relay::domain::unix_now;
use workvoice_relay::testing::{SubmissionSpec, prepare_submission, seed_fixture_world};

const USAGE: &str = "usage: fuzz_world seed DATA_DIR | fuzz_world submit URL";

async fn seed(data_dir: PathBuf) -> Result<(), String> {
    let fixture = Fixture::new();
    let settings = Settings {
        data_dir,
        root_public_key: Some(fixture.root.public_key().to_hex()),
        pow_difficulty: 4,
        ..Settings::default()
    };
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| e.to_string())?;
    let world = seed_fixture_world(&settings, &fixture)
        .await
        .map_err(|e| e.to_string())?;
    println!("ROOT_PUBLIC_KEY={}", fixture.root.public_key().to_hex());
    println!("UNION_TOKEN={}", world.union.token);
    println!("INSPECTORATE_ID={}", world.inspectorate.id);
    world.storage.close().await;
    Ok(())
}

async fn expect(step: &str, r: reqwest::Response) -> Result<reqwest::Response, String> {
    if r.status().is_success() {
        return Ok(r);
    }
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    Err(format!("{step} answered {status}: {body}"))
}

async fn submit(url: String) -> Result<(), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let fixture = Fixture::new();
    let served = expect(
        "GET /v1/directory",
        http.get(format!("{url}/v1/directory"))
            .send()
            .await
            .map_err(|e| e.to_string())?,
    )
    .await?
    .bytes()
    .await
    .map_err(|e| e.to_string())?;
    let directory = verify_directory(&served, &fixture.root.public_key(), unix_now(), 0)
        .map_err(|e| format!("the relay's directory does not verify: {e}"))?;
    let prepared = prepare_submission(
        &fixture,
        &directory.listing,
        &SubmissionSpec {
            seed: 20_261_129,
            attachments: vec![vec![0x5a; 3000], vec![0xa5; 5000]],
            ..SubmissionSpec::default()
        },
    )
    .map_err(|e| e.to_string())?;
    expect(
        "POST /v1/submissions",
        http.post(format!("{url}/v1/submissions"))
            .json(&prepared.request)
            .send()
            .await
            .map_err(|e| e.to_string())?,
    )
    .await?;
    let report = prepared.request.submission_id;
    let ids: Vec<String> = prepared
        .request
        .attachments
        .iter()
        .map(|a| a.id.to_hex())
        .collect();
    for (i, sealed) in prepared.sealed_attachments.iter().enumerate() {
        let upload = if i == 0 {
            &sealed[..]
        } else {
            &sealed[..sealed.len() / 2]
        };
        expect(
            "PUT attachment chunk",
            http.put(format!(
                "{url}/v1/submissions/{report}/attachments/{}?offset=0",
                ids[i]
            ))
            .bearer_auth(&prepared.mailbox_token_text)
            .header("content-type", "application/octet-stream")
            .body(upload.to_vec())
            .send()
            .await
            .map_err(|e| e.to_string())?,
        )
        .await?;
    }
    println!("REPORT_ID={report}");
    println!("MAILBOX_TOKEN={}", prepared.mailbox_token_text);
    println!("ATTACHMENT_COMPLETE={}", ids[0]);
    println!("ATTACHMENT_PARTIAL={}", ids[1]);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fuzz_world: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.as_slice() {
        [cmd, dir] if cmd == "seed" => runtime.block_on(seed(PathBuf::from(dir))),
        [cmd, url] if cmd == "submit" => runtime.block_on(submit(url.trim_end_matches('/').into())),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fuzz_world: {e}");
            ExitCode::FAILURE
        }
    }
}
