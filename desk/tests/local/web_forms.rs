//! Every form of the web UI, fed bad input: a message next to the field, a 4xx status, and
//! nothing changed in the database. Also: pages are labelled and need a session.

use crate::common::*;
use axum::http::StatusCode;
use workvoice_proto::keys::OrgId;

/// Every `<input>`, `<select>` and `<textarea>` with an id has a `<label for>` (hidden inputs,
/// radios and checkboxes inside labelled fieldsets excepted), and the page has one `h1`.
fn assert_accessible(html: &str) {
    assert_eq!(html.matches("<h1").count(), 1, "exactly one h1");
    assert!(html.contains("<main id=\"main\""), "a main landmark");
    assert!(html.contains("lang=\"en\""));
    for tag in ["<input ", "<select ", "<textarea "] {
        for piece in html.split(tag).skip(1) {
            let attrs = &piece[..piece.find('>').unwrap()];
            if attrs.contains("type=\"hidden\"") {
                continue;
            }
            let id = attrs
                .split("id=\"")
                .nth(1)
                .map(|s| &s[..s.find('"').unwrap()])
                .unwrap_or_else(|| panic!("a form control without id: {tag}{attrs}"));
            assert!(
                html.contains(&format!("for=\"{id}\"")),
                "no label for #{id}"
            );
        }
    }
}

#[tokio::test]
async fn pages_need_a_session_and_are_labelled() {
    let (_dir, desk) = fresh_desk().await;
    seed_local(&desk, OrgId([5; 16]), 6).await;
    let mut anon = WebClient::new(&desk);
    for uri in ["/", "/cases/1", "/dashboard", "/alarms"] {
        let page = anon.get(uri).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(page.location(), Some("/login"));
    }
    let login = anon.get("/login").await;
    assert_accessible(&login.body);
    let cookie = login.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(login.headers.get("content-security-policy").is_some());

    let mut c = logged_in(&desk).await;
    for uri in [
        "/",
        "/cases/1",
        "/cases/6",
        "/dashboard",
        "/alarms",
        "/?status=new&q=passport",
    ] {
        let page = c.get(uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert_accessible(&page.body);
    }
    // The employer promised beside the employer found (the report's employer when the job
    // found does not name one).
    let first = c.get("/cases/1").await;
    let row = first
        .body
        .split("<th scope=\"row\">Employer</th>")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no employer row: {}", first.body));
    let promised = row.find("Qatar Electrical Contracting W.L.L.").expect(row);
    let found = row.find("Doha Build Co. W.L.L.").expect(row);
    assert!(promised < found, "promised, then found: {row}");
    // Free text keeps its direction: right-to-left Urdu is marked dir="auto" with its language.
    let urdu = c.get("/cases/6").await;
    assert!(
        urdu.body.contains("dir=\"auto\" lang=\"ur\""),
        "free text is dir=auto"
    );
    assert!(urdu.body.contains("Retention of identity documents"));
    assert!(
        urdu.body.contains("PKR 800,000.00"),
        "money with minor units"
    );
    // A request for another host name is refused (DNS rebinding).
    let req = axum::http::Request::builder()
        .uri("/login")
        .header("host", "evil.example:8080")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(c.send(req).await.status, StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn bad_input_in_every_form_gives_a_message_and_changes_nothing() {
    let (_dir, desk) = fresh_desk().await;
    seed_local(&desk, OrgId([6; 16]), 3).await;
    let mut c = logged_in(&desk).await;
    // Raise an alarm so the alarm form has something to clear.
    desk.store()
        .raise_alarm("certificate_changed", "test alarm")
        .await
        .unwrap();
    let before = snapshot(&desk).await;
    let long_note = "x".repeat(5001);
    let long_reply = "y".repeat(4001);
    let long_filter = "z".repeat(201);
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            "/cases/1/status",
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
            "status-status",
        ),
        (
            "/cases/1/status",
            vec![("status", "banana")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "status-status",
        ),
        (
            "/cases/1/assign",
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
            "assign-assignee",
        ),
        (
            "/cases/1/assign",
            vec![("assignee", "nobody-by-that-name")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "assign-assignee",
        ),
        (
            "/cases/1/notes",
            vec![("text", "   ")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "note-text",
        ),
        (
            "/cases/1/notes",
            vec![("text", &long_note)],
            StatusCode::UNPROCESSABLE_ENTITY,
            "note-text",
        ),
        (
            "/cases/1/replies",
            vec![("text", ""), ("language", "en")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "reply-text",
        ),
        (
            "/cases/1/replies",
            vec![("text", &long_reply), ("language", "en")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "reply-text",
        ),
        (
            "/cases/1/replies",
            vec![("text", "Hello"), ("language", "Nepali!")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "reply-language",
        ),
        (
            "/cases/1/referrals",
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
            "referral-to",
        ),
        (
            "/cases/1/referrals",
            vec![("to", "not-an-org-id")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "referral-to",
        ),
        (
            "/export",
            vec![("format", "xml")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "export-format",
        ),
        (
            "/export",
            vec![("format", "csv"), ("from", "2026-13-45")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "f-from",
        ),
        (
            "/export",
            vec![("format", "csv"), ("recruiter", &long_filter)],
            StatusCode::UNPROCESSABLE_ENTITY,
            "f-recruiter",
        ),
        (
            "/export",
            vec![("format", "csv"), ("status", "lost")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "f-status",
        ),
        (
            "/export",
            vec![("format", "csv"), ("audience", "press")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "export-audience",
        ),
        (
            "/export",
            vec![
                ("format", "csv"),
                ("audience", "research"),
                ("include_free_text", "yes"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "export-sensitive",
        ),
        (
            "/alarms/clear",
            vec![("note", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "alarm-note",
        ),
    ];
    for (uri, fields, status, field) in &cases {
        let page = c.post(uri, fields).await;
        assert_eq!(
            page.status,
            *status,
            "{uri} {fields:?}: {}",
            &page.body[..page.body.len().min(300)]
        );
        assert!(
            page.body.contains(&format!("id=\"{field}-error\"")),
            "{uri} {fields:?}: no message next to #{field}"
        );
        assert!(
            page.body
                .contains(&format!("aria-describedby=\"{field}-error\""))
                || page.body.contains(&format!("{field}-error\""))
        );
        assert_eq!(
            snapshot(&desk).await,
            before,
            "{uri} {fields:?} changed the database"
        );
    }
    // A body that is not a form at all is the same as an empty form.
    let page = c
        .post_raw(
            "/cases/1/notes",
            format!("{{\"csrf\": \"{}\", \"text\": \"hi\"}}", c.csrf),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::FORBIDDEN,
        "a JSON body carries no form token"
    );
    assert_eq!(snapshot(&desk).await, before);
    let page = c
        .post_raw("/cases/1/notes", format!("csrf={}&text", c.csrf))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"note-text-error\""));
    assert_eq!(snapshot(&desk).await, before);

    // Missing and forged CSRF tokens, on every POST route, change nothing.
    let some_org = "ab".repeat(16);
    let valid: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/cases/1/status", vec![("status", "triage")]),
        ("/cases/1/assign", vec![("assignee", USER)]),
        ("/cases/1/notes", vec![("text", "a note")]),
        (
            "/cases/1/replies",
            vec![("text", "hello"), ("language", "en")],
        ),
        ("/cases/1/referrals", vec![("to", &some_org)]),
        ("/export", vec![("format", "csv"), ("audience", "internal")]),
        ("/sync", vec![]),
        ("/alarms/clear", vec![("note", "reviewed")]),
        ("/logout", vec![]),
    ];
    let forged = "0".repeat(64);
    for (uri, fields) in &valid {
        for token in [None, Some(forged.as_str())] {
            let mut f = fields.clone();
            f.push(("csrf", token.unwrap_or("")));
            if token.is_none() {
                f.pop();
                let body = serde_urlencoded::to_string(&f).unwrap();
                let page = c.post_raw(uri, body).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{uri} without a token");
                assert!(page.body.contains("security token"));
            } else {
                let page = c.post(uri, &f).await;
                assert_eq!(
                    page.status,
                    StatusCode::FORBIDDEN,
                    "{uri} with a forged token"
                );
            }
            assert_eq!(
                snapshot(&desk).await,
                before,
                "{uri} changed the database without a token"
            );
        }
    }
    // The valid forms that need no relay do work (so the checks above could fail).
    let page = c
        .post(
            "/cases/1/notes",
            &[("text", "Called the worker's union branch.")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_ne!(snapshot(&desk).await, before);
    let page = c
        .post("/alarms/clear", &[("note", "Key rotation we asked for.")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(desk.store().active_alarms().await.unwrap().is_empty());
}

#[tokio::test]
async fn login_form_refuses_bad_input_without_a_session() {
    let (_dir, desk) = fresh_desk().await;
    desk.add_user(USER, PASSWORD).await.unwrap();
    let before = snapshot(&desk).await;
    let mut c = WebClient::new(&desk);
    c.get("/login").await;
    let long = "u".repeat(65);
    for (fields, status, field) in [
        (
            vec![("username", ""), ("password", "x")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "username",
        ),
        (
            vec![("username", USER), ("password", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "password",
        ),
        (
            vec![("username", long.as_str()), ("password", "x")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "username",
        ),
        (
            vec![("username", USER), ("password", "wrong password")],
            StatusCode::UNAUTHORIZED,
            "login",
        ),
        (
            vec![
                ("username", USER),
                ("password", PASSWORD),
                ("csrf", "forged"),
            ],
            StatusCode::FORBIDDEN,
            "login",
        ),
    ] {
        let page = c.post("/login", &fields).await;
        assert_eq!(page.status, status, "{fields:?}");
        assert!(
            page.body.contains(&format!("id=\"{field}-error\"")),
            "{fields:?}"
        );
        let home = c.get("/").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER, "still not signed in");
        c.get("/login").await;
    }
    assert_eq!(snapshot(&desk).await, before);
    let ok = c
        .post("/login", &[("username", USER), ("password", PASSWORD)])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/").await.status, StatusCode::OK);
    // Signing out ends the session on the server too.
    let cookie = c.cookie.clone();
    c.post("/logout", &[]).await;
    c.cookie = cookie;
    assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn filters_narrow_the_list_and_report_bad_values() {
    let (_dir, desk) = fresh_desk().await;
    seed_local(&desk, OrgId([8; 16]), 12).await;
    let mut c = logged_in(&desk).await;
    let count = |body: &str| body.matches("<a href=\"/cases/").count();
    assert_eq!(count(&c.get("/").await.body), 12);
    assert_eq!(count(&c.get("/?destination=QA").await.body), 4);
    assert_eq!(count(&c.get("/?indicator=debt_bondage").await.body), 4);
    assert_eq!(count(&c.get("/?sector=T").await.body), 2);
    assert_eq!(
        count(&c.get("/?recruiter=Sagarmatha+Manpower").await.body),
        4,
        "name variants match"
    );
    assert_eq!(
        count(&c.get("/?recruiter=RL-0987").await.body),
        2,
        "licence number matches"
    );
    assert_eq!(
        count(&c.get("/?q=paspor").await.body),
        2,
        "free-text search"
    );
    assert_eq!(
        count(
            &c.get("/?status=new&destination=MY&indicator=isolation")
                .await
                .body
        ),
        2
    );
    let bad = c.get("/?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"f-from-error\""));
}

/// A desk whose clock the test moves.
fn desk_at(
    desk: workvoice_desk::Desk,
    now: &std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> workvoice_desk::Desk {
    let clock = now.clone();
    desk.with_clock(std::sync::Arc::new(move || {
        clock.load(std::sync::atomic::Ordering::SeqCst)
    }))
}

#[tokio::test]
async fn a_strangers_wrong_passwords_do_not_stop_the_caseworkers_correct_one() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use workvoice_desk::login_guard::{FREE_FAILURES, MAX_DELAY_SECS};

    let (_dir, desk) = fresh_desk().await;
    let now = Arc::new(AtomicU64::new(1_800_000_000));
    let desk = desk_at(desk, &now);
    desk.add_user(USER, PASSWORD).await.unwrap();
    desk.add_user("bo", PASSWORD).await.unwrap();
    // The caseworker has signed in with her browser before: it is a known browser.
    let mut hers = WebClient::new(&desk);
    assert_eq!(
        hers.login(USER, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(hers.cookie.as_deref().unwrap().contains("wvdesk_client="));
    assert_eq!(hers.get("/").await.status, StatusCode::OK);
    let out = hers.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);

    // A stranger guesses her password again and again, as fast as he is let.
    let mut stranger = WebClient::new(&desk);
    for i in 1..FREE_FAILURES {
        let page = stranger.login(USER, "wrong password").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "failure {i}");
        assert!(
            page.body
                .contains("The user name or the password is wrong.")
        );
    }
    let page = stranger.login(USER, "wrong password").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("id=\"login-error\""), "{}", page.body);
    assert!(
        page.body.contains("Try again in 5 seconds."),
        "{}",
        page.body
    );
    // Too early, even the right password is refused, without a password check or session.
    let page = stranger.login(USER, PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(stranger.get("/").await.status, StatusCode::SEE_OTHER);
    // Each further failure doubles the wait (10 s, 20 s, …), up to the longest delay.
    for wait in [
        "10 seconds",
        "20 seconds",
        "40 seconds",
        "2 minutes",
        "3 minutes",
    ] {
        now.fetch_add(MAX_DELAY_SECS, Ordering::SeqCst);
        let page = stranger.login(USER, "wrong password").await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            page.body.contains(&format!("Try again in {wait}.")),
            "{wait}: {}",
            page.body
        );
    }
    for _ in 0..5 {
        now.fetch_add(MAX_DELAY_SECS, Ordering::SeqCst);
        stranger.login(USER, "wrong password").await;
    }
    now.fetch_add(MAX_DELAY_SECS, Ordering::SeqCst);
    let page = stranger.login(USER, "wrong password").await;
    assert!(
        page.body.contains("Try again in 15 minutes."),
        "{}",
        page.body
    );

    // Meanwhile the caseworker's own browser signs in at once with her password.
    let page = hers.login(USER, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(hers.get("/").await.status, StatusCode::OK);
    // Her browser's own typos count on their own record, not the stranger's.
    assert_eq!(
        hers.post("/logout", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let page = hers.login(USER, "a typo in it").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        hers.login(USER, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // Another caseworker, and a name that does not exist, are not touched by the stranger;
    // a made-up name is delayed exactly as a real one, so delays do not reveal real names.
    let mut other = WebClient::new(&desk);
    assert_eq!(
        other.login("bo", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let mut prober = WebClient::new(&desk);
    for _ in 0..FREE_FAILURES - 1 {
        assert_eq!(
            prober.login("nobody", "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        prober.login("nobody", "wrong password").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn the_sign_in_delay_survives_a_restart() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use workvoice_desk::login_guard::{FREE_FAILURES, delay_after};
    use workvoice_desk::{Desk, Passphrase};

    let (dir, desk) = fresh_desk().await;
    let now = Arc::new(AtomicU64::new(1_800_000_000));
    let desk = desk_at(desk, &now);
    desk.add_user(USER, PASSWORD).await.unwrap();
    let mut c = WebClient::new(&desk);
    for _ in 0..FREE_FAILURES + 2 {
        now.fetch_add(3600, Ordering::SeqCst);
        c.login(USER, "wrong password").await;
    }
    let wait = delay_after(FREE_FAILURES + 2);
    assert_eq!(wait, 20);
    desk.store().close().await;
    drop(desk);

    // The desk restarts: the delay is still there.
    let desk = Desk::open(dir.path(), &Passphrase::new(PASSPHRASE))
        .await
        .unwrap();
    let desk = desk_at(desk, &now);
    let mut c = WebClient::new(&desk);
    now.fetch_add(wait - 1, Ordering::SeqCst);
    let page = c.login(USER, PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(
        page.body.contains("Try again in 1 second."),
        "{}",
        page.body
    );
    // Once it has passed, the right password works.
    now.fetch_add(1, Ordering::SeqCst);
    assert_eq!(c.login(USER, PASSWORD).await.status, StatusCode::SEE_OTHER);

    // The operator can end a delay at once (`workvoice-desk user clear-delays`).
    let mut new_browser = WebClient::new(&desk);
    for _ in 0..FREE_FAILURES {
        new_browser.login(USER, "wrong password").await;
    }
    let page = new_browser.login(USER, PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(desk.login_guard().clear(" Amina ").await.unwrap(), 1);
    let page = new_browser.login(USER, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

#[tokio::test]
async fn markup_in_a_report_is_shown_as_text() {
    use workvoice_proto::vectors::DeterministicRng;
    let (_dir, desk) = fresh_desk().await;
    let mut rng = DeterministicRng::new("markup");
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let (mut report, _) = sample(0, &mut rng);
    if let Some(recruiter) = report.recruiter.as_mut() {
        recruiter.name = hostile.to_string();
    }
    report.free_text = format!("{hostile} \" onmouseover=\"alert(3)");
    let key = desk.keys()[0].public_key;
    let entry = entry_for(1, &report, OrgId([3; 16]), key, &mut rng);
    let (stored, failed) = desk.open_and_store(OrgId([3; 16]), &[entry]).await.unwrap();
    assert_eq!((stored.len(), failed), (1, 0));

    let mut c = logged_in(&desk).await;
    for uri in ["/cases/1", "/", "/dashboard"] {
        let page = c.get(uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert!(!page.body.contains("<script"), "{uri}: a script element");
        assert!(!page.body.contains("<img"), "{uri}: an injected element");
        assert!(
            !page.body.contains("\" onmouseover=\""),
            "{uri}: an injected attribute"
        );
        assert!(
            page.headers
                .get("content-security-policy")
                .is_some_and(|v| v.to_str().unwrap().contains("default-src 'none'")),
            "{uri}"
        );
    }
    // The text itself is there, escaped, on the case page.
    let case = c.get("/cases/1").await;
    assert!(
        case.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"),
        "{}",
        case.body
    );
}
