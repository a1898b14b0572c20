//! The demo command as a newcomer runs it: the real `workvoice-demo` binary on a temporary
//! directory and free ports. What the desks hold is read back with the desk library and
//! compared with what the demo's workers typed; the printed login is used over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use workvoice_demo::scenario::{DemoWorker, workers};
use workvoice_demo::sms::SMS_RECRUITER;
use workvoice_desk::store::CaseFilter;
use workvoice_desk::{Desk, Passphrase};
use workvoice_proto::report::Report;

const DEMO: &str = env!("CARGO_BIN_EXE_workvoice-demo");
const SETUP_LIMIT: Duration = Duration::from_secs(240);

fn demo_command(dir: &Path) -> Command {
    let mut command = Command::new(DEMO);
    command
        .arg("--dir")
        .arg(dir)
        .args(["--relay-port", "0", "--desk-port", "0"])
        .args(["--inspectorate-port", "0"]);
    command
}

/// A running demo whose standard output is read line by line.
struct RunningDemo {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl RunningDemo {
    fn spawn(mut command: Command) -> RunningDemo {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        RunningDemo {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Read lines until one starts with `prefix`; panics with everything seen if it does not
    /// come in time or the demo exits first.
    fn wait_for(&mut self, prefix: &str, limit: Duration) {
        let until = Instant::now() + limit;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(line) => {
                    let found = line.starts_with(prefix);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(e) => panic!(
                    "no line starting with {prefix:?} ({e}); status {:?}; output so far:\n{}",
                    self.child.try_wait(),
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// The value after `label` on a summary line such as `  Password:           ab-cd`.
    fn field(&self, label: &str) -> String {
        let line = self
            .seen
            .iter()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{}", self.seen.join("\n")));
        let rest = line.trim_start()[label.len()..].trim();
        rest.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Wait (bounded) for the process to end; returns whether it succeeded.
    fn wait_exit(&mut self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(line);
                }
                return status.success();
            }
            assert!(
                Instant::now() < until,
                "the demo did not stop; output:\n{}",
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RunningDemo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Minor units of an amount typed as whole units (as the demo's workers type them).
fn minor(amount: &str, currency: &str) -> u64 {
    let exponent = workvoice_proto::iso::currency_exponent(currency).unwrap();
    amount.parse::<u64>().unwrap() * 10u64.pow(u32::from(exponent))
}

/// Fee totals per currency, from what a worker typed.
fn typed_fee_totals(worker: &DemoWorker) -> BTreeMap<String, u64> {
    let mut totals = BTreeMap::new();
    for fee in &worker.report.fees {
        *totals.entry(fee.currency.clone()).or_default() += minor(&fee.amount, &fee.currency);
    }
    totals
}

/// Fee totals per currency, from what a desk decrypted.
fn stored_fee_totals(report: &Report) -> BTreeMap<String, u64> {
    let mut totals = BTreeMap::new();
    for fee in &report.fees {
        *totals.entry(fee.amount.currency.clone()).or_default() += fee.amount.amount_minor;
    }
    totals
}

/// Every case of a desk: (report id, decrypted report).
async fn cases(desk: &Desk) -> Vec<(String, Report)> {
    let mut out = Vec::new();
    for summary in desk
        .store()
        .list_cases(&CaseFilter::default(), -1, 0)
        .await
        .unwrap()
    {
        let record = desk.store().case(summary.id).await.unwrap();
        out.push((summary.report_id, Desk::report_of(&record).unwrap()));
    }
    out
}

fn recruiter(report: &Report) -> String {
    report
        .recruiter
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

/// The form fields in `application/x-www-form-urlencoded`.
fn form(fields: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("wvdesk_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// Sign in at `base` with the given login; returns the status of the sign-in POST and, when it
/// succeeded, the case list page.
async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> (u16, Option<(String, String)>) {
    let page = http.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let cookie = session_cookie(&page).expect("the login page sets a session cookie");
    let html = page.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the login form carries a CSRF token")
        .to_string();
    let response = http
        .post(format!("{base}/login"))
        .header(reqwest::header::COOKIE, &cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form(&[
            ("csrf", &csrf),
            ("username", user),
            ("password", password),
        ]))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status != 303 {
        return (status, None);
    }
    let signed_in = session_cookie(&response).expect("a signed-in session cookie");
    let list = page_text(http, &format!("{base}/"), &signed_in).await;
    (status, Some((list, signed_in)))
}

async fn page_text(http: &reqwest::Client, url: &str, cookie: &str) -> String {
    let page = http
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200, "{url}");
    page.text().await.unwrap()
}

/// Every file below `dir`, at any depth.
fn files_below(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_below(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// `dir` and every folder below it are 0700, and every file 0600, as `stat` shows.
fn assert_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_private(&path);
        } else {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

/// Which of `texts` occur, byte for byte, in which file below `dir`.
fn files_containing(dir: &Path, texts: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for path in files_below(dir) {
        let bytes = std::fs::read(&path).unwrap();
        for text in texts {
            if bytes.windows(text.len()).any(|w| w == text.as_bytes()) {
                found.push(format!("{text:?} in {}", path.display()));
            }
        }
    }
    found
}

#[test]
fn demo_delivers_every_report_to_the_union_only_consenting_ones_to_the_inspectorate_and_its_login_works()
 {
    // The umask of a usual login shell, inherited by the demo: SQLite alone would make its
    // files 0644 under it.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo-data");
    let mut demo = RunningDemo::spawn(demo_command(&dir));
    demo.wait_for("Press Ctrl-C", SETUP_LIMIT);

    let union_url = demo.field("Union desk:");
    let inspectorate_url = demo.field("Inspectorate desk:");
    let user = demo.field("User name:");
    let password = demo.field("Password:");
    assert!(union_url.starts_with("http://127.0.0.1:"), "{union_url}");
    assert!(
        inspectorate_url.starts_with("http://127.0.0.1:"),
        "{inspectorate_url}"
    );
    assert_ne!(union_url, inspectorate_url);
    let union_url = union_url.trim_end_matches('/').to_string();
    let inspectorate_url = inspectorate_url.trim_end_matches('/').to_string();
    let printed_ids: BTreeSet<String> = demo
        .seen
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.len() == 32 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect();
    // Each phone's report and the one sent by SMS.
    assert_eq!(printed_ids.len(), workers().len() + 1, "{:?}", demo.seen);
    // The SMS conversation is shown, ending with the channel's "sent".
    assert!(
        demo.seen.iter().any(|l| l.trim() == "worker > Namaste"),
        "{:?}",
        demo.seen
    );

    let rt = runtime();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let consenting: Vec<DemoWorker> = workers()
        .into_iter()
        .filter(DemoWorker::consents_to_inspectorate)
        .collect();
    let not_consenting: Vec<DemoWorker> = workers()
        .into_iter()
        .filter(|w| !w.consents_to_inspectorate())
        .collect();
    assert!(!consenting.is_empty() && !not_consenting.is_empty());
    rt.block_on(async {
        // The printed login opens the union desk, whose case list names every recruiter.
        let (status, list) = sign_in(&http, &union_url, &user, &password).await;
        assert_eq!(status, 303, "signing in with the printed login");
        let (list, cookie) = list.unwrap();
        for w in workers() {
            let name = w.report.recruiter.as_ref().unwrap().name.clone();
            assert!(list.contains(&name), "the union's case list lacks {name}");
        }
        // The case page says how each report came: the SMS one by SMS, the others by the app.
        let mut came = Vec::new();
        for n in 1..=workers().len() + 1 {
            let page = page_text(&http, &format!("{union_url}/cases/{n}"), &cookie).await;
            let sms = page.contains("SMS (sealed by the SMS channel");
            let app = page.contains("The Workvoice app");
            assert!(sms != app, "case {n}");
            came.push((sms, page.contains(SMS_RECRUITER)));
        }
        assert_eq!(came.iter().filter(|(sms, _)| *sms).count(), 1, "{came:?}");
        assert!(came.iter().all(|(sms, named)| sms == named), "{came:?}");
        // The same login opens the inspectorate desk, which lists only consenting workers.
        let (status, list) = sign_in(&http, &inspectorate_url, &user, &password).await;
        assert_eq!(status, 303, "signing in to the inspectorate desk");
        let (list, _) = list.unwrap();
        for w in &consenting {
            let name = &w.report.recruiter.as_ref().unwrap().name;
            assert!(list.contains(name.as_str()), "inspectorate lacks {name}");
        }
        for w in &not_consenting {
            let name = &w.report.recruiter.as_ref().unwrap().name;
            assert!(!list.contains(name.as_str()), "inspectorate shows {name}");
        }
        // A wrong password is refused.
        let (status, _) = sign_in(&http, &union_url, &user, "not-the-password").await;
        assert_eq!(status, 401);
    });

    // Ctrl-C stops everything and the process exits cleanly.
    let pid = demo.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(demo.wait_exit(Duration::from_secs(60)), "{:?}", demo.seen);
    assert!(demo.seen.iter().any(|l| l.starts_with("Stopped.")));
    assert!(
        std::net::TcpStream::connect(union_url.trim_start_matches("http://")).is_err(),
        "the union desk still answers after Ctrl-C"
    );

    // The desks' data directories are private and hold nothing the workers typed, in any file
    // (database, WAL, shared memory, journal, unlock file).
    let typed: Vec<String> = workers()
        .iter()
        .flat_map(|w| {
            let r = &w.report;
            [
                r.recruiter.as_ref().map(|p| p.name.clone()),
                r.employer.as_ref().map(|p| p.name.clone()),
                r.story.clone(),
            ]
        })
        .flatten()
        .filter(|t| t.len() >= 12)
        .collect();
    assert!(typed.len() >= workers().len() * 2, "{typed:?}");
    for desk_dir in ["union-desk", "inspectorate-desk"] {
        let desk_dir = dir.join(desk_dir);
        assert_private(&desk_dir);
        assert_eq!(files_containing(&desk_dir, &typed), Vec::<String>::new());
    }
    // Every other data directory the demo's parts made: the relay's and each phone's vault.
    let mut others = vec![dir.join("relay"), dir.join("sms")];
    for phone in std::fs::read_dir(dir.join("phones")).unwrap() {
        others.push(phone.unwrap().path());
    }
    assert!(others.len() > workers().len(), "{others:?}");
    for other in &others {
        assert_private(other);
        assert_eq!(files_containing(other, &typed), Vec::<String>::new());
    }

    // What the desks decrypted is what the workers typed into their phones.
    let passphrase =
        Passphrase::from_line(std::fs::read_to_string(dir.join("desk-passphrase.txt")).unwrap());
    rt.block_on(async {
        let union = Desk::open(&dir.join("union-desk"), &passphrase)
            .await
            .unwrap();
        let inspectorate = Desk::open(&dir.join("inspectorate-desk"), &passphrase)
            .await
            .unwrap();
        let union_cases = cases(&union).await;
        let inspectorate_cases = cases(&inspectorate).await;
        // The phones' reports and one by SMS.
        assert_eq!(union_cases.len(), workers().len() + 1);
        assert_eq!(inspectorate_cases.len(), consenting.len());
        let union_ids: BTreeSet<String> = union_cases.iter().map(|(id, _)| id.clone()).collect();
        assert_eq!(
            union_ids, printed_ids,
            "the printed ids are the union's cases"
        );

        let by_recruiter: BTreeMap<String, &Report> =
            union_cases.iter().map(|(_, r)| (recruiter(r), r)).collect();
        assert_eq!(by_recruiter.len(), workers().len() + 1);
        // The SMS conversation: every answer as she texted it, and no inspectorate.
        let by_sms = by_recruiter[SMS_RECRUITER];
        assert_eq!(by_sms.language, "ne");
        assert_eq!(by_sms.destination_country, "QA");
        assert_eq!(by_sms.sector, None);
        assert_eq!(by_sms.total_fees_in("NPR"), 250_000 * 100);
        let sms_indicators: BTreeSet<&str> = by_sms.indicators.iter().map(|i| i.as_str()).collect();
        assert_eq!(
            sms_indicators,
            BTreeSet::from(["retention_of_identity_documents", "withholding_of_wages"])
        );
        assert!(!by_sms.consent.inspectorate && !by_sms.consent.contact_wanted);
        for w in workers() {
            let typed = &w.report;
            let name = typed.recruiter.as_ref().unwrap().name.clone();
            let stored = by_recruiter
                .get(&name)
                .unwrap_or_else(|| panic!("no case names {name}"));
            assert_eq!(Some(&stored.language), typed.language.as_ref(), "{name}");
            assert_eq!(stored.destination_country, typed.destination_country);
            assert_eq!(stored.origin_country, typed.origin_country);
            assert_eq!(stored_fee_totals(stored), typed_fee_totals(&w), "{name}");
            assert_eq!(stored.deductions.len(), w.report.deductions.len(), "{name}");
            let indicators: BTreeSet<&str> = stored.indicators.iter().map(|i| i.as_str()).collect();
            let typed_indicators: BTreeSet<&str> =
                typed.indicators.iter().map(String::as_str).collect();
            assert_eq!(indicators, typed_indicators, "{name}");
            assert_eq!(Some(&stored.free_text), typed.story.as_ref(), "{name}");
            assert_eq!(stored.consent.inspectorate, typed.consent.inspectorate);
            assert_eq!(stored.consent.contact_wanted, typed.consent.contact_wanted);
        }

        // Figures a reader can check by hand: the Nepali electrician paid 150,000 + 12,000 +
        // 8,500 rupees in Nepal and 300 riyals in Qatar; the Bangladeshi worker repays a loan.
        let nepali = by_recruiter["Sagarmatha Manpower Pvt. Ltd."];
        assert_eq!(nepali.language, "ne");
        // Both currencies have two decimals: amounts are in paisa and dirhams.
        assert_eq!(nepali.total_fees_in("NPR"), 170_500 * 100);
        assert_eq!(nepali.total_fees_in("QAR"), 300 * 100);
        let bangladeshi = by_recruiter["Dhaka Overseas Recruiting Agency"];
        assert!(
            bangladeshi
                .deductions
                .iter()
                .any(|d| d.reason == workvoice_proto::report::DeductionReason::LoanRepayment)
        );
        let languages: BTreeSet<&str> = union_cases
            .iter()
            .map(|(_, r)| r.language.as_str())
            .collect();
        assert!(languages.len() >= 3, "{languages:?}");

        // The inspectorate holds exactly the consenting workers' reports, same ids as the union.
        let expected: BTreeSet<String> = union_cases
            .iter()
            .filter(|(_, r)| r.consent.inspectorate)
            .map(|(id, _)| id.clone())
            .collect();
        let got: BTreeSet<String> = inspectorate_cases
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(got, expected);
        let names: BTreeSet<String> = inspectorate_cases
            .iter()
            .map(|(_, r)| recruiter(r))
            .collect();
        let consenting_names: BTreeSet<String> = consenting
            .iter()
            .map(|w| w.report.recruiter.as_ref().unwrap().name.clone())
            .collect();
        assert_eq!(names, consenting_names);
        union.store().close().await;
        inspectorate.store().close().await;
    });
}

fn run_to_end(command: Command) -> (bool, Vec<String>) {
    let mut demo = RunningDemo::spawn(command);
    let ok = demo.wait_exit(SETUP_LIMIT);
    (ok, std::mem::take(&mut demo.seen))
}

fn printed_report_ids(lines: &[String]) -> BTreeSet<String> {
    lines
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.len() == 32 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect()
}

#[test]
fn an_earlier_demo_is_kept_unless_fresh_is_asked_and_other_directories_are_never_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("demo-data");

    let mut first = demo_command(&dir);
    first.arg("--exit-after-setup");
    let (ok, lines) = run_to_end(first);
    assert!(ok, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("Password:")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("Stopped.")), "{lines:?}");
    let first_ids = printed_report_ids(&lines);
    assert_eq!(
        first_ids.len(),
        workers().len() + 1,
        "the phones' reports and one by SMS"
    );

    // Again without --fresh: refused, and the earlier demo is untouched.
    let mut again = demo_command(&dir);
    again.arg("--exit-after-setup");
    let output = again.output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--fresh"), "{stderr}");
    assert!(dir.join("union-desk").join("desk.sqlite").is_file());
    assert!(dir.join("relay").join("relay.db").is_file());

    // With --fresh: a new demo with new reports.
    let mut fresh = demo_command(&dir);
    fresh.args(["--exit-after-setup", "--fresh"]);
    let (ok, lines) = run_to_end(fresh);
    assert!(ok, "{lines:?}");
    let fresh_ids = printed_report_ids(&lines);
    assert_eq!(fresh_ids.len(), workers().len() + 1);
    assert!(fresh_ids.is_disjoint(&first_ids));

    // A directory the demo did not make is never deleted, even with --fresh.
    let other = tmp.path().join("someone-elses");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "keep me").unwrap();
    let mut wrong = demo_command(&other);
    wrong.args(["--exit-after-setup", "--fresh"]);
    let output = wrong.output().unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not made by workvoice-demo"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "keep me"
    );
}
