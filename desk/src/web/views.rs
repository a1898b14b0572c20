//! HTML of every page (maud). Every page has one `h1`, landmarks (banner, navigation, main),
//! labelled form fields with their error message next to them, and no script.

use std::collections::HashMap;

use maud::{DOCTYPE, Markup, html};
use workvoice_proto::directory::OrgKind;
use workvoice_proto::report::{Channel, Indicator, Money, NamedParty, Report, Sector};

use crate::cases::CaseStatus;
use crate::desk::ReferralOption;
use crate::insight::{self, Insight};
use crate::labels;
use crate::store::{Alarm, CaseEvent, CaseRecord, CaseSummary, EscrowPlacement, LinkedCase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Cases,
    Dashboard,
    Alarms,
    None,
}

/// What every page's frame needs.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub org_name: &'a str,
    pub username: Option<&'a str>,
    pub csrf: &'a str,
    pub alarms: &'a [Alarm],
    pub nav: Nav,
}

/// Errors of a submitted form by field id, and the values to show again.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub errors: Vec<(String, String)>,
    pub values: HashMap<String, String>,
}

impl FormState {
    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push((field.to_string(), message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

fn field_error(form: &FormState, id: &str) -> Markup {
    html! {
        @if let Some(message) = form.get(id) {
            p class="field-error" id=(format!("{id}-error")) { strong { "Error: " } (message) }
        }
    }
}

fn described(form: &FormState, id: &str, hint: Option<&str>) -> Option<String> {
    let mut ids = Vec::new();
    if let Some(h) = hint {
        ids.push(h.to_string());
    }
    if form.get(id).is_some() {
        ids.push(format!("{id}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

fn invalid(form: &FormState, id: &str) -> Option<&'static str> {
    form.get(id).map(|_| "true")
}

pub fn layout(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let current = |nav: Nav| (ctx.nav == nav).then_some("page");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Workvoice desk" }
                link rel="stylesheet" href="/static/desk.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
            }
            body {
                a class="skip-link" href="#main" { "Skip to main content" }
                header class="top" {
                    div class="brand" {
                        span class="brand-name" { "Workvoice desk" }
                        span class="brand-org" { (ctx.org_name) }
                    }
                    @if let Some(user) = ctx.username {
                        nav aria-label="Main" {
                            ul {
                                li { a href="/" aria-current=[current(Nav::Cases)] { "Cases" } }
                                li { a href="/dashboard" aria-current=[current(Nav::Dashboard)] { "Dashboard" } }
                                li { a href="/alarms" aria-current=[current(Nav::Alarms)] {
                                    "Key monitoring"
                                    @if !ctx.alarms.is_empty() { " " span class="badge badge-alarm" { (ctx.alarms.len()) " alarm" @if ctx.alarms.len() > 1 { "s" } } }
                                } }
                            }
                        }
                        form class="signout" method="post" action="/logout" {
                            span { "Signed in as " strong { (user) } }
                            input type="hidden" name="csrf" value=(ctx.csrf);
                            button type="submit" class="button-quiet" { "Sign out" }
                        }
                    }
                }
                @if !ctx.alarms.is_empty() && ctx.username.is_some() {
                    section class="alarm" role="alert" aria-labelledby="alarm-title" {
                        h2 id="alarm-title" { "Key-monitoring alarm: acknowledgements to the relay are stopped" }
                        p { "The relay's directory does not carry this organisation's enrolled key unchanged. "
                            "Reports are still pulled and stored where they open, but none is acknowledged until the alarm is reviewed and cleared." }
                        ul {
                            @for alarm in ctx.alarms {
                                li { (alarm.detail) " " span class="muted" { "(" (alarm.code) ", first seen " (labels::date_hour(alarm.raised_at)) ")" } }
                            }
                        }
                        p { a href="/alarms" { "Review the alarm" } }
                    }
                }
                main id="main" tabindex="-1" { (body) }
                footer class="foot" {
                    p { "Reports reach this desk end-to-end encrypted; the relay cannot read them. Keep this laptop locked." }
                }
            }
        }
    }
}

pub fn login(ctx: &Ctx, form: &FormState, status_note: Option<&str>) -> Markup {
    layout(
        ctx,
        "Sign in",
        html! {
            div class="narrow" {
                h1 { "Sign in" }
                @if let Some(note) = status_note { p class="notice" role="status" { (note) } }
                @if let Some(m) = form.get("login") {
                    p class="form-error" id="login-error" role="alert" { strong { "Error: " } (m) }
                }
                form method="post" action="/login" class="stack" aria-describedby=[form.get("login").map(|_| "login-error")] {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    div class="field" {
                        label for="username" { "User name" }
                        input id="username" name="username" type="text" autocomplete="username" required
                            maxlength="64" value=(form.value("username"))
                            aria-invalid=[invalid(form, "username")] aria-describedby=[described(form, "username", None)];
                        (field_error(form, "username"))
                    }
                    div class="field" {
                        label for="password" { "Password" }
                        input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"
                            aria-invalid=[invalid(form, "password")] aria-describedby=[described(form, "password", None)];
                        (field_error(form, "password"))
                    }
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

fn sector_name(letter: &str) -> String {
    letter
        .chars()
        .next()
        .and_then(Sector::from_letter)
        .map_or_else(
            || letter.to_string(),
            |s| format!("{} ({letter})", labels::sector(s)),
        )
}

fn status_badge(status: CaseStatus) -> Markup {
    html! { span class=(format!("badge status-{}", status.as_str())) { (status.label()) } }
}

pub struct ListView<'a> {
    pub raw: &'a HashMap<String, String>,
    pub form: &'a FormState,
    pub cases: &'a [CaseSummary],
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    pub destinations: &'a [String],
    pub sectors: &'a [String],
    pub last_sync: Option<u64>,
    /// Entries that did not open with this desk's keys.
    pub undecryptable: u64,
    /// Entries that came with tags or consent other than the phone sealed (or were altered).
    pub disclosure_mismatch: u64,
    pub notice: Option<&'a str>,
    pub org_names: &'a HashMap<String, String>,
}

fn filter_query(raw: &HashMap<String, String>, page: u64) -> String {
    let mut pairs: Vec<(&str, &str)> = [
        "status",
        "destination",
        "sector",
        "indicator",
        "recruiter",
        "from",
        "until",
        "q",
    ]
    .iter()
    .filter_map(|k| {
        raw.get(*k)
            .filter(|v| !v.is_empty())
            .map(|v| (*k, v.as_str()))
    })
    .collect();
    let p = page.to_string();
    pairs.push(("page", &p));
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub fn case_list(ctx: &Ctx, v: &ListView) -> Markup {
    let raw = |k: &str| v.raw.get(k).map_or("", String::as_str);
    let first = if v.total == 0 {
        0
    } else {
        (v.page - 1) * v.page_size + 1
    };
    let last = ((v.page - 1) * v.page_size + v.cases.len() as u64).min(v.total);
    let pages = v.total.div_ceil(v.page_size).max(1);
    layout(
        ctx,
        "Cases",
        html! {
            div class="page-head" {
                h1 { "Cases" }
                form method="post" action="/sync" class="inline" {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    button type="submit" { "Sync with the relay now" }
                    span class="muted" { @match v.last_sync { Some(t) => { " Last sync " (labels::date_hour(t)) "." } None => { " Never synced." } } }
                }
            }
            @if let Some(n) = v.notice { p class="notice" role="status" { (n) } }
            @if v.undecryptable > 0 {
                p class="warning" { (v.undecryptable) " inbox entr" @if v.undecryptable == 1 { "y" } @else { "ies" } " could not be opened with this desk's keys and " @if v.undecryptable == 1 { "is" } @else { "are" } " kept aside, not acknowledged." }
            }
            @if v.disclosure_mismatch > 0 {
                p class="warning" id="disclosure-mismatch" { (v.disclosure_mismatch) " inbox entr" @if v.disclosure_mismatch == 1 { "y" } @else { "ies" } " arrived with routing tags or consent that do not match what the worker's phone sealed, or " @if v.disclosure_mismatch == 1 { "was" } @else { "were" } " altered on the way. This desk's keys are fine; the relay is not to be trusted with these. Kept aside, not acknowledged." }
            }
            form method="get" action="/" class="filters" aria-labelledby="filter-title" {
                h2 id="filter-title" class="visually-hidden" { "Filter cases" }
                div class="filter-grid" {
                    div class="field" {
                        label for="f-status" { "Status" }
                        select id="f-status" name="status" aria-invalid=[invalid(v.form, "f-status")] aria-describedby=[described(v.form, "f-status", None)] {
                            option value="" { "Any status" }
                            @for s in CaseStatus::ALL { option value=(s.as_str()) selected[raw("status") == s.as_str()] { (s.label()) } }
                        }
                        (field_error(v.form, "f-status"))
                    }
                    div class="field" {
                        label for="f-destination" { "Destination country" }
                        select id="f-destination" name="destination" aria-invalid=[invalid(v.form, "f-destination")] aria-describedby=[described(v.form, "f-destination", None)] {
                            option value="" { "Any country" }
                            @for c in v.destinations { option value=(c) selected[raw("destination") == c.as_str()] { (labels::country(c)) } }
                        }
                        (field_error(v.form, "f-destination"))
                    }
                    div class="field" {
                        label for="f-sector" { "Sector" }
                        select id="f-sector" name="sector" aria-invalid=[invalid(v.form, "f-sector")] aria-describedby=[described(v.form, "f-sector", None)] {
                            option value="" { "Any sector" }
                            @for s in v.sectors { option value=(s) selected[raw("sector") == s.as_str()] { (sector_name(s)) } }
                        }
                        (field_error(v.form, "f-sector"))
                    }
                    div class="field" {
                        label for="f-indicator" { "Forced-labour indicator" }
                        select id="f-indicator" name="indicator" aria-invalid=[invalid(v.form, "f-indicator")] aria-describedby=[described(v.form, "f-indicator", None)] {
                            option value="" { "Any indicator" }
                            @for i in Indicator::ALL { option value=(i.as_str()) selected[raw("indicator") == i.as_str()] { (labels::indicator(i)) } }
                        }
                        (field_error(v.form, "f-indicator"))
                    }
                    div class="field" {
                        label for="f-recruiter" { "Recruiter (name or licence number)" }
                        input id="f-recruiter" name="recruiter" type="text" maxlength="200" value=(raw("recruiter"))
                            aria-invalid=[invalid(v.form, "f-recruiter")] aria-describedby=[described(v.form, "f-recruiter", None)];
                        (field_error(v.form, "f-recruiter"))
                    }
                    div class="field" {
                        label for="f-from" { "Received from" }
                        input id="f-from" name="from" type="date" value=(raw("from"))
                            aria-invalid=[invalid(v.form, "f-from")] aria-describedby=[described(v.form, "f-from", None)];
                        (field_error(v.form, "f-from"))
                    }
                    div class="field" {
                        label for="f-until" { "Received until" }
                        input id="f-until" name="until" type="date" value=(raw("until"))
                            aria-invalid=[invalid(v.form, "f-until")] aria-describedby=[described(v.form, "f-until", None)];
                        (field_error(v.form, "f-until"))
                    }
                    div class="field" {
                        label for="f-q" { "Search the text of reports" }
                        input id="f-q" name="q" type="search" maxlength="200" value=(raw("q"))
                            aria-invalid=[invalid(v.form, "f-q")] aria-describedby=[described(v.form, "f-q", None)];
                        (field_error(v.form, "f-q"))
                    }
                }
                div class="actions" {
                    button type="submit" { "Apply filters" }
                    a href="/" class="button-link" { "Clear filters" }
                }
            }
            p id="result-count" role="status" { @if v.total == 0 { "No case matches." } @else { "Showing " (first) "–" (last) " of " (v.total) " case" @if v.total != 1 { "s" } "." } }
            @if !v.cases.is_empty() {
                div class="table-wrap" {
                    table class="cases" {
                        caption class="visually-hidden" { "Cases, newest first" }
                        thead { tr {
                            th scope="col" { "Case" } th scope="col" { "Received" } th scope="col" { "Status" }
                            th scope="col" { "Corridor" } th scope="col" { "Sector" } th scope="col" { "Recruiter" }
                            th scope="col" { "Indicators" } th scope="col" { "Assigned to" }
                        } }
                        tbody {
                            @for c in v.cases {
                                tr {
                                    th scope="row" {
                                        a href=(format!("/cases/{}", c.id)) { "Case " (c.id) }
                                        @if let Some(by) = &c.referred_by { br; span class="badge" { "Referred by " (v.org_names.get(by).map_or(&by[..8], String::as_str)) } }
                                        @if c.has_problems { br; span class="badge badge-warn" { "Check fields" } }
                                    }
                                    td { (labels::date(c.received_at)) }
                                    td { (status_badge(c.status)) }
                                    td { (c.origin_country.as_deref().map_or("?", labels::country_name)) " → " (labels::country_name(&c.destination_country)) }
                                    td { (c.sector.as_deref().map(sector_name).unwrap_or_else(|| "Not given".into())) }
                                    td dir="auto" { (c.recruiter_name.as_deref().unwrap_or("Not named")) }
                                    td { @if c.indicators.is_empty() { "None" } @else {
                                        (c.indicators.iter().filter_map(|i| labels::indicator_from_str(i)).map(labels::indicator).collect::<Vec<_>>().join(", "))
                                    } }
                                    td { (c.assignee.as_deref().unwrap_or("Nobody")) }
                                }
                            }
                        }
                    }
                }
                @if pages > 1 {
                    nav class="pager" aria-label="Pages of cases" {
                        @if v.page > 1 { a href=(format!("/?{}", filter_query(v.raw, v.page - 1))) rel="prev" { "Previous page" } }
                        span { "Page " (v.page) " of " (pages) }
                        @if v.page < pages { a href=(format!("/?{}", filter_query(v.raw, v.page + 1))) rel="next" { "Next page" } }
                    }
                }
            }
            section class="panel" aria-labelledby="export-title" {
                h2 id="export-title" { "Export these cases" }
                p { "Exports the " (v.total) " case" @if v.total != 1 { "s" } " that match the filters above. Free text and contact fields stay out unless you tick them." }
                form method="post" action="/export" class="stack" {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    @for k in ["status", "destination", "sector", "indicator", "recruiter", "from", "until", "q"] {
                        @if !raw(k).is_empty() { input type="hidden" name=(k) value=(raw(k)); }
                    }
                    fieldset aria-describedby=[described(v.form, "export-format", None)] {
                        legend { "Format" }
                        @for (value, label) in [("csv", "CSV (spreadsheet)"), ("json", "JSON"), ("htcds_csv", "CSV with HTCDS field names"), ("htcds_json", "JSON with HTCDS field names")] {
                            div class="choice" {
                                input type="radio" name="format" id=(format!("export-{value}")) value=(value) checked[value == "csv"];
                                label for=(format!("export-{value}")) { (label) }
                            }
                        }
                        (field_error(v.form, "export-format"))
                    }
                    fieldset aria-describedby=[described(v.form, "export-audience", None)] {
                        legend { "Who will receive this file?" }
                        @for (value, label) in [("internal", "Our organisation (every matching case)"), ("inspectorate", "A labour inspectorate (only cases whose worker agreed to the inspectorate)"), ("ngo", "Another NGO (only cases whose worker agreed to NGOs)"), ("research", "Researchers (structured facts only)")] {
                            div class="choice" {
                                input type="radio" name="audience" id=(format!("export-audience-{value}")) value=(value) checked[value == "internal"];
                                label for=(format!("export-audience-{value}")) { (label) }
                            }
                        }
                        (field_error(v.form, "export-audience"))
                    }
                    fieldset aria-describedby=[described(v.form, "export-sensitive", None)] {
                        legend { "Sensitive fields" }
                        div class="choice" {
                            input type="checkbox" name="include_free_text" id="export-free-text" value="yes";
                            label for="export-free-text" { "Include the worker's own words (free text)" }
                        }
                        div class="choice" {
                            input type="checkbox" name="include_contact" id="export-contact" value="yes";
                            label for="export-contact" { "Include contact fields (whether the worker wants to be contacted)" }
                        }
                        (field_error(v.form, "export-sensitive"))
                    }
                    button type="submit" { "Download export" }
                }
            }
        },
    )
}

/// The currencies of a report's fees, sorted, each once.
fn fee_currencies(r: &Report) -> Vec<&str> {
    let mut currencies: Vec<&str> = r.fees.iter().map(|f| f.amount.currency.as_str()).collect();
    currencies.sort_unstable();
    currencies.dedup();
    currencies
}

fn money(m: &Money) -> Markup {
    html! { span class="money" { (labels::money(m)) } }
}

fn opt_text(value: Option<&str>) -> Markup {
    html! { @match value { Some(v) => span dir="auto" { (v) }, None => span class="muted" { "Not given" } } }
}

fn party(title: &str, id: &str, p: &Option<NamedParty>) -> Markup {
    html! {
        section class="panel" aria-labelledby=(id) {
            h3 id=(id) { (title) }
            @match p {
                Some(p) => dl class="facts" {
                    dt { "Name as the worker gave it" } dd dir="auto" { (p.name) }
                    dt { "Licence number" } dd { (opt_text(p.licence_number.as_deref())) }
                    dt { "Country" } dd { (p.country.as_deref().map(labels::country).unwrap_or_else(|| "Not given".into())) }
                },
                None => p class="muted" { "Not named in the report." },
            }
        }
    }
}

pub struct CaseView<'a> {
    pub case: &'a CaseRecord,
    pub report: &'a Report,
    pub events: &'a [CaseEvent],
    /// Attachment id → `None` when kept at this desk, `Some(problem)` when it cannot be had;
    /// absent when not downloaded yet.
    pub evidence: &'a std::collections::HashMap<String, Option<String>>,
    pub linked: &'a [LinkedCase],
    /// The escrow group the case opened in, if it was escrowed.
    pub escrow: Option<&'a EscrowPlacement>,
    pub users: &'a [(i64, String)],
    pub referral: &'a [ReferralOption],
    pub directory_loaded: bool,
    pub referred_by_name: Option<&'a str>,
    pub form: &'a FormState,
    pub notice: Option<&'a str>,
}

fn event_text(e: &CaseEvent) -> Markup {
    let s = |k: &str| {
        e.detail
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    html! {
        @match e.kind.as_str() {
            "received" => { "Received from the relay" @if let Some(by) = e.detail.get("referred_by").and_then(|v| v.as_str()) { " (referred by " (by) ")" } "." }
            "status" => { "Status set to " strong { (CaseStatus::parse(&s("status")).map_or("?", |c| c.label())) } "; the worker sees “" (s("worker_status").replace('_', " ")) "”." }
            "assignment" => { @match e.detail.get("assignee").and_then(|v| v.as_str()) { Some(u) => { "Assigned to " strong { (u) } "." }, None => { "Unassigned." } } }
            "note" => { "Internal note: " blockquote dir="auto" { (s("text")) } }
            "reply" => { "Reply sent to the worker (" (labels::language(&s("language"))) "): " blockquote dir="auto" lang=(s("language")) { (s("text")) } }
            "referral" => { "Referred to " strong { (s("name")) } " (" (s("kind")) ")." }
            "withdrawn" => { strong { "The worker withdrew this report." } " Her withdrawal secret matched the one the report commits to." }
            "withdrawal_refused" => { "A withdrawal request did not match this report (" (s("code").replace('_', " ")) ") and was ignored." }
            other => { (other) }
        }
    }
}

/// How the report reached the organisation (`Report::channel`): the app, or an SMS dialogue
/// sealed by the SMS channel, whose plaintext the mobile operator and the gateway saw.
fn channel_label(r: &Report) -> &'static str {
    match Channel::of(r) {
        Channel::App => "The Workvoice app",
        Channel::Sms => "SMS (sealed by the SMS channel; the mobile operator saw the dialogue)",
        Channel::Unknown => "A channel this desk does not know",
    }
}

pub fn case_page(ctx: &Ctx, v: &CaseView) -> Markup {
    let c = v.case;
    let r = v.report;
    let id = c.summary.id;
    let f = v.form;
    layout(
        ctx,
        &format!("Case {id}"),
        html! {
            nav aria-label="Breadcrumb" class="crumbs" { a href="/" { "Cases" } " › Case " (id) }
            div class="page-head" {
                h1 { "Case " (id) " " (status_badge(c.summary.status)) }
                p class="muted" { "Report " code { (c.summary.report_id) } " · received " (labels::date_hour(c.summary.received_at))
                    @if let Some(by) = &c.summary.referred_by { " · " strong { "referred by " (v.referred_by_name.unwrap_or(by)) } } }
            }
            @if let Some(n) = v.notice { p class="notice" role="status" { (n) } }
            @if let Some(m) = f.get("form") { p class="form-error" role="alert" { strong { "Error: " } (m) } }
            @if v.events.iter().any(|e| e.kind == "withdrawn") {
                p class="warning" role="status" id="withdrawn" { strong { "Withdrawn by the worker." } " She asked the organisations to withdraw this report; her request is authenticated by the secret the report commits to. Decide what to do with the case." }
            }
            div class="case-grid" {
                div class="case-main" {
                    @if !c.problems.is_empty() {
                        section class="warning" aria-labelledby="problems-title" {
                            h2 id="problems-title" { "Fields to check" }
                            p { "These fields did not pass validation or differ from what the phone disclosed to the relay. They are shown as received." }
                            ul { @for p in &c.problems { li { code { (p.field) } ": " (p.code.replace('_', " ")) } } }
                        }
                    }
                    section class="panel" aria-labelledby="words-title" {
                        h2 id="words-title" { "In the worker's words" }
                        p class="muted" { "Written in " (labels::language(&r.language)) @if let Some(d) = &r.written_on { " on " (d) } "." }
                        @if r.free_text.trim().is_empty() { p class="muted" { "The worker wrote no free text." } }
                        @else { blockquote class="free-text" dir="auto" lang=(r.language) { (r.free_text) } }
                    }
                    section class="panel" aria-labelledby="summary-title" {
                        h2 id="summary-title" { "Where and what" }
                        dl class="facts" {
                            dt { "Country of origin" } dd { (r.origin_country.as_deref().map(labels::country).unwrap_or_else(|| "Not given".into())) }
                            dt { "Country of work" } dd { (labels::country(&r.destination_country)) }
                            dt { "Sector" } dd { (r.sector.map(|s| format!("{} ({})", labels::sector(s), s.letter())).unwrap_or_else(|| "Not given".into())) }
                            dt { "Monthly wage actually earned" } dd { @match &r.monthly_wage { Some(m) => (money(m)), None => span class="muted" { "Not given" } } }
                            dt { "Report language" } dd { (labels::language(&r.language)) }
                            dt { "Came through" } dd { (channel_label(r)) }
                            dt { "Schema version" } dd { (r.schema) }
                        }
                    }
                    section class="panel" aria-labelledby="indicators-title" {
                        h2 id="indicators-title" { "Forced-labour indicators (ILO)" }
                        @if r.indicators.is_empty() { p class="muted" { "The worker reported none of the 11 indicators." } }
                        @else { ul class="indicators" { @for i in &r.indicators { li { (labels::indicator(*i)) } } } }
                    }
                    section class="panel" aria-labelledby="fees-title" {
                        h2 id="fees-title" { "Recruitment fees and related costs" }
                        @if r.fees.is_empty() { p class="muted" { "No fees reported." } } @else {
                            div class="table-wrap" { table {
                                caption class="visually-hidden" { "Fees the worker paid" }
                                thead { tr { th scope="col" { "Amount" } th scope="col" { "Paid" } th scope="col" { "To" } th scope="col" { "Where" } th scope="col" { "For" } th scope="col" { "Receipt" } } }
                                tbody { @for fee in &r.fees { tr {
                                    td class="num" { (money(&fee.amount)) }
                                    td { (fee.paid_on.as_deref().unwrap_or("Not given")) }
                                    td { (labels::payee(fee.payee)) }
                                    td { (labels::stage(fee.stage)) }
                                    td { (labels::cost_category(fee.category)) }
                                    td { (labels::yes_no(fee.receipt)) }
                                } } }
                            } }
                            @let currencies = fee_currencies(r);
                            p { "Total: " @for (i, cur) in currencies.iter().enumerate() {
                                @if i > 0 { " + " }
                                (money(&Money { amount_minor: r.total_fees_in(cur), currency: cur.to_string() }))
                            } @if currencies.len() > 1 { " (currencies are not converted)" } }
                        }
                    }
                    section class="panel" aria-labelledby="loans-title" {
                        h2 id="loans-title" { "Loans taken to pay for recruitment" }
                        @if r.loans.is_empty() { p class="muted" { "No loans reported." } } @else {
                            div class="table-wrap" { table {
                                caption class="visually-hidden" { "Loans" }
                                thead { tr { th scope="col" { "Lender" } th scope="col" { "Amount borrowed" } th scope="col" { "Interest per month" } th scope="col" { "Collateral" } } }
                                tbody { @for loan in &r.loans { tr {
                                    td { (labels::lender(loan.lender)) }
                                    td class="num" { (money(&loan.principal)) }
                                    td { @match loan.interest_bp_per_month { Some(bp) => { (format!("{}.{:02} %", bp / 100, bp % 100)) }, None => "Not known" } }
                                    td { (loan.collateral.map_or("Not given", labels::collateral)) }
                                } } }
                            } }
                        }
                    }
                    section class="panel" aria-labelledby="deductions-title" {
                        h2 id="deductions-title" { "Deductions from wages" }
                        @if r.deductions.is_empty() { p class="muted" { "No deductions reported." } } @else {
                            div class="table-wrap" { table {
                                caption class="visually-hidden" { "Wage deductions" }
                                thead { tr { th scope="col" { "Amount" } th scope="col" { "Reason" } th scope="col" { "Every month" } } }
                                tbody { @for d in &r.deductions { tr {
                                    td class="num" { (money(&d.amount)) } td { (labels::deduction_reason(d.reason)) } td { (if d.recurring_monthly { "Yes" } else { "No" }) }
                                } } }
                            } }
                        }
                    }
                    section class="panel" aria-labelledby="job-title" {
                        h2 id="job-title" { "Job promised and job found" }
                        div class="table-wrap" { table {
                            caption class="visually-hidden" { "The job promised before departure against the job found" }
                            thead { tr { td {} th scope="col" { "Promised" } th scope="col" { "Found" } } }
                            tbody {
                                tr { th scope="row" { "Job" } td { (opt_text(r.job.promised.title.as_deref())) } td { (opt_text(r.job.actual.title.as_deref())) } }
                                tr { th scope="row" { "Monthly wage" }
                                    td { @match &r.job.promised.monthly_wage { Some(m) => (money(m)), None => span class="muted" { "Not given" } } }
                                    td { @match &r.job.actual.monthly_wage { Some(m) => (money(m)), None => span class="muted" { "Not given" } } } }
                                tr { th scope="row" { "Employer" }
                                    td { (opt_text(r.job.promised.employer.as_deref())) }
                                    td { (opt_text(r.job.actual.employer.as_deref().or(r.employer.as_ref().map(|e| e.name.as_str())))) } }
                                tr { th scope="row" { "Hours per week" }
                                    td { (r.job.promised.hours_per_week.map_or("Not given".into(), |h| h.to_string())) }
                                    td { (r.job.actual.hours_per_week.map_or("Not given".into(), |h| h.to_string())) } }
                            }
                        } }
                        dl class="facts" {
                            dt { "Written contract" } dd { (labels::yes_no(r.job.written_contract)) }
                            dt { "Contract in a language the worker reads" } dd { (labels::yes_no(r.job.contract_in_own_language)) }
                            dt { "Contract replaced on arrival" } dd { (labels::yes_no(r.job.contract_substituted)) }
                            dt { "Visa" } dd { (labels::visa(r.job.visa_type)) }
                        }
                    }
                    div class="two-col" {
                        (party("Recruiter", "recruiter-title", &r.recruiter))
                        (party("Employer", "employer-title", &r.employer))
                    }
                    @if let Some(g) = v.escrow {
                        section class="panel" aria-labelledby="escrow-title" id="escrow-group" {
                            h2 id="escrow-title" { "Opened with others" }
                            p { "This case is one of " strong { (g.reports) " reports about the same recruiter" } ", held sealed until " (g.threshold) " workers had reported it, then opened together. They came from "
                                (g.sources) " distinct device" @if g.sources != 1 { "s" } "." }
                            @if g.reply_channel {
                                p class="muted" { "Replies and status changes reach the worker through the anonymous reply channel. An escrowed report cannot be referred." }
                            } @else {
                                p class="muted" { "This escrowed report has no reply channel at the relay yet (it is registered at the next sync, unless the relay refused it): replies and referrals cannot be sent, and its status stays at this desk." }
                            }
                            @if g.sources < g.reports { p class="warning" { "Some of these reports came from the same device: fewer people may stand behind them than reports." } }
                            @if g.other_cases.is_empty() { p class="muted" { "The other reports of the group did not open at this desk." } } @else {
                                ul { @for other in &g.other_cases { li { a href=(format!("/cases/{other}")) { "Case " (other) } } } }
                            }
                        }
                    }
                    section class="panel" aria-labelledby="linked-title" {
                        h2 id="linked-title" { "Other cases naming the same recruiter or employer" }
                        @if v.linked.is_empty() { p class="muted" { "No other case names them." } } @else {
                            ul { @for l in v.linked { li {
                                a href=(format!("/cases/{}", l.id)) { "Case " (l.id) }
                                " — received " (labels::date(l.received_at)) ", same "
                                (match l.reason.as_str() { "recruiter_licence" => "recruiter licence number", "recruiter_name" => "recruiter name", "employer_licence" => "employer licence number", _ => "employer name" })
                            } } }
                        }
                    }
                    section class="panel" aria-labelledby="attachments-title" {
                        h2 id="attachments-title" { "Evidence" }
                        @if r.attachments.is_empty() { p class="muted" { "No attachments." } } @else {
                            ul { @for a in &r.attachments { li {
                                a href=(format!("/cases/{id}/attachments/{}", a.id)) download { "Download " (if a.media_type == "image/png" { "PNG image" } else if a.media_type == "image/jpeg" { "JPEG photo" } else { "file" }) }
                                " (" (labels::group_thousands(a.size / 1024)) " KiB; "
                                (match v.evidence.get(&a.id.to_hex()) {
                                    Some(None) => "kept at this desk".to_string(),
                                    Some(Some(problem)) => format!("it cannot be downloaded: {problem}"),
                                    None => "not kept yet: the next sync or the first download fetches it from the relay".to_string(),
                                })
                                "; metadata was removed on the phone)"
                            } } }
                        }
                    }
                    section class="panel" aria-labelledby="consent-title" {
                        h2 id="consent-title" { "What the worker agreed to" }
                        dl class="facts" {
                            dt { "Share with a union" } dd { (labels::yes_no(Some(r.consent.union))) }
                            dt { "Share with a labour inspectorate" } dd { (labels::yes_no(Some(c.may_refer_inspectorate))) }
                            dt { "Share with an NGO" } dd { (labels::yes_no(Some(c.may_refer_ngo))) }
                            dt { "Wants to be contacted" } dd { (labels::yes_no(Some(c.contact_wanted))) " (through the anonymous reply channel only)" }
                        }
                    }
                    section class="panel" aria-labelledby="history-title" {
                        h2 id="history-title" { "History" }
                        ol class="history" { @for e in v.events { li {
                            span class="when" { (labels::date_hour(e.at)) }
                            @if let Some(a) = &e.actor { " · " span class="who" { (a) } }
                            div { (event_text(e)) }
                        } } }
                    }
                }
                aside class="case-actions" aria-label="Act on this case" {
                    section class="panel" aria-labelledby="status-title" {
                        h2 id="status-title" { "Status" }
                        form method="post" action=(format!("/cases/{id}/status")) class="stack" {
                            input type="hidden" name="csrf" value=(ctx.csrf);
                            div class="field" {
                                label for="status-status" { "New status" }
                                select id="status-status" name="status" aria-invalid=[invalid(f, "status-status")] aria-describedby=[described(f, "status-status", Some("status-hint"))] {
                                    @for s in CaseStatus::ALL { option value=(s.as_str()) selected[s == c.summary.status] { (s.label()) " — worker sees “" (labels::worker_status(s.worker_status())) "”" } }
                                }
                                p class="hint" id="status-hint" { "The worker sees only the part after the dash, through her anonymous mailbox." }
                                (field_error(f, "status-status"))
                            }
                            button type="submit" { "Change status" }
                        }
                    }
                    section class="panel" aria-labelledby="assign-title" {
                        h2 id="assign-title" { "Assigned to" }
                        form method="post" action=(format!("/cases/{id}/assign")) class="stack" {
                            input type="hidden" name="csrf" value=(ctx.csrf);
                            div class="field" {
                                label for="assign-assignee" { "Caseworker" }
                                select id="assign-assignee" name="assignee" aria-invalid=[invalid(f, "assign-assignee")] aria-describedby=[described(f, "assign-assignee", None)] {
                                    option value="" { "Nobody" }
                                    @for (uid, name) in v.users { option value=(name) selected[Some(*uid) == c.assignee_id] { (name) } }
                                }
                                (field_error(f, "assign-assignee"))
                            }
                            button type="submit" { "Assign" }
                        }
                    }
                    section class="panel" aria-labelledby="reply-title" {
                        h2 id="reply-title" { "Reply to the worker" }
                        p class="hint" id="reply-hint" { "Sealed so that only the worker's phone can read it. Never ask for a name or a phone number." }
                        form method="post" action=(format!("/cases/{id}/replies")) class="stack" {
                            input type="hidden" name="csrf" value=(ctx.csrf);
                            div class="field" {
                                label for="reply-text" { "Message" }
                                textarea id="reply-text" name="text" rows="5" maxlength="4000" dir="auto"
                                    aria-invalid=[invalid(f, "reply-text")] aria-describedby=[described(f, "reply-text", Some("reply-hint"))] { (f.value("reply-text")) }
                                (field_error(f, "reply-text"))
                            }
                            div class="field" {
                                label for="reply-language" { "Language of the message (e.g. en, ne, bn)" }
                                input id="reply-language" name="language" type="text" maxlength="35" required
                                    value=(if f.value("reply-language").is_empty() { r.language.as_str() } else { f.value("reply-language") })
                                    aria-invalid=[invalid(f, "reply-language")] aria-describedby=[described(f, "reply-language", None)];
                                (field_error(f, "reply-language"))
                            }
                            button type="submit" { "Send reply" }
                        }
                    }
                    section class="panel" aria-labelledby="refer-title" {
                        h2 id="refer-title" { "Refer the case" }
                    (field_error(f, "referral-to"))
                        @if !v.directory_loaded {
                            p class="muted" { "Sync once to load the directory of organisations." }
                        } @else if v.referral.is_empty() {
                            p class="muted" { "The directory lists no inspectorate or NGO." }
                        } @else {
                            @let allowed: Vec<&ReferralOption> = v.referral.iter().filter(|o| o.refused.is_none()).collect();
                            @if allowed.is_empty() {
                                p id="refer-refused" { "This case cannot be referred: " }
                            } @else {
                                form method="post" action=(format!("/cases/{id}/referrals")) class="stack" {
                                    input type="hidden" name="csrf" value=(ctx.csrf);
                                    fieldset aria-describedby=[described(f, "referral-to", Some("refer-hint"))] {
                                        legend { "Organisation" }
                                        p class="hint" id="refer-hint" { "The report is re-sealed to that organisation's certified key only." }
                                        @for (i, o) in allowed.iter().enumerate() {
                                            div class="choice" {
                                                input type="radio" name="to" id=(format!("refer-{}", o.org_id)) value=(o.org_id.to_hex()) checked[i == 0];
                                                label for=(format!("refer-{}", o.org_id)) { (o.name) " (" (labels::org_kind(o.kind)) ")" }
                                            }
                                        }
                                    }
                                    button type="submit" { "Refer this case" }
                                }
                            }
                            @let refused: Vec<&ReferralOption> = v.referral.iter().filter(|o| o.refused.is_some()).collect();
                            @if !refused.is_empty() {
                                ul class="refusals" { @for o in refused { li {
                                    (o.name) " (" (labels::org_kind(o.kind)) "): not possible — " (o.refused.as_deref().unwrap_or(""))
                                    @if o.kind == OrgKind::Inspectorate { "." }
                                } } }
                            }
                        }
                    }
                    section class="panel" aria-labelledby="note-title" {
                        h2 id="note-title" { "Internal note" }
                        form method="post" action=(format!("/cases/{id}/notes")) class="stack" {
                            input type="hidden" name="csrf" value=(ctx.csrf);
                            div class="field" {
                                label for="note-text" { "Note (seen only inside this organisation)" }
                                textarea id="note-text" name="text" rows="3" maxlength="5000" dir="auto"
                                    aria-invalid=[invalid(f, "note-text")] aria-describedby=[described(f, "note-text", None)] { (f.value("note-text")) }
                                (field_error(f, "note-text"))
                            }
                            button type="submit" { "Add note" }
                        }
                    }
                }
            }
        },
    )
}

/// `escrow_pending`: the relay's total of this organisation's unreleased escrowed reports at the
/// last sync; deliberately never broken down by recruiter (`PROTOCOL.md` 18.8).
pub fn dashboard(ctx: &Ctx, insight: &Insight, escrow_pending: Option<u64>) -> Markup {
    layout(
        ctx,
        "Dashboard",
        html! {
            h1 { "Dashboard" }
            p { (insight.total_cases) " case" @if insight.total_cases != 1 { "s" } " in this desk. Amounts are never converted between currencies." }
            @if let Some(n) = escrow_pending {
                p id="escrow-pending" { strong { (n) " escrowed report" @if n != 1 { "s" } } " wait" @if n == 1 { "s" } " at the relay until enough workers report the same recruiter. Nobody can read "
                    @if n == 1 { "it" } @else { "them" } " before then, and this total, as of the last sync, is all the relay tells: not which recruiters." }
            }
            div class="charts" {
                section class="panel chart-panel" aria-labelledby="channel-title" {
                    h2 id="channel-title" { "Cases by channel" }
                    p class="muted" { "How each report reached the organisation: sealed on the worker's phone by the app, or sealed from an SMS dialogue by the SMS channel." }
                    (insight::hbar_chart("channel-title", &insight.channels))
                    (insight::data_table("Cases by channel", ("Channel", "Cases"), &insight.channels))
                }
                section class="panel chart-panel" aria-labelledby="weekly-title" {
                    h2 id="weekly-title" { "Reports received per week (last 26 weeks)" }
                    (insight::column_chart("weekly-title", &insight.weekly))
                    (insight::data_table("Reports per week", ("Week starting", "Reports"), &insight.weekly))
                }
                section class="panel chart-panel" aria-labelledby="ind-title" {
                    h2 id="ind-title" { "ILO forced-labour indicators, by number of cases" }
                    (insight::hbar_chart("ind-title", &insight.indicators))
                    (insight::data_table("Indicators", ("Indicator", "Cases"), &insight.indicators))
                }
                @for (n, chart) in insight.fees_by_recruiter.iter().enumerate() {
                    @let tid = format!("rec-{n}-title");
                    section class="panel chart-panel" aria-labelledby=(tid) {
                        h2 id=(tid) { "Recruitment fees by recruiter, in " (chart.currency) }
                        p class="muted" { "Median total paid per worker, fees reported in " (chart.currency) " only (" (chart.cases) " case" @if chart.cases != 1 { "s" } "); top 10 recruiters by number of cases." }
                        (insight::hbar_chart(&tid, &chart.bars))
                        (insight::data_table(&format!("Fees by recruiter in {}", chart.currency), ("Recruiter", "Median fee"), &chart.bars))
                    }
                }
                @for (n, chart) in insight.fees_by_corridor.iter().enumerate() {
                    @let tid = format!("cor-{n}-title");
                    section class="panel chart-panel" aria-labelledby=(tid) {
                        h2 id=(tid) { "Recruitment fees by corridor, in " (chart.currency) }
                        p class="muted" { "Median total paid per worker, origin → destination, fees reported in " (chart.currency) " only (" (chart.cases) " case" @if chart.cases != 1 { "s" } ")." }
                        (insight::hbar_chart(&tid, &chart.bars))
                        (insight::data_table(&format!("Fees by corridor in {}", chart.currency), ("Corridor", "Median fee"), &chart.bars))
                    }
                }
                @if insight.fees_by_recruiter.is_empty() { section class="panel" { h2 { "Recruitment fees" } p class="muted" { "No fees reported yet." } } }
                section class="panel chart-panel" aria-labelledby="sdg-title" {
                    h2 id="sdg-title" { "Recruitment cost in months of earnings (SDG 10.7.1), by corridor" }
                    p class="muted" { "Mean of each worker's total fees ÷ monthly wage, where both are in the same currency: "
                        (insight.sdg_included) " worker" @if insight.sdg_included != 1 { "s" } " included, "
                        (insight.sdg_excluded_currency) " left out because fees and wage are in different currencies." }
                    @if insight.sdg_by_corridor.is_empty() { p class="muted" { "Not enough data yet." } } @else {
                        (insight::hbar_chart("sdg-title", &insight.sdg_by_corridor))
                        (insight::data_table("SDG 10.7.1 by corridor", ("Corridor", "Months of earnings"), &insight.sdg_by_corridor))
                    }
                }
            }
        },
    )
}

pub struct AlarmView<'a> {
    pub directory_version: u64,
    pub last_sync: Option<u64>,
    pub form: &'a FormState,
    pub notice: Option<&'a str>,
    pub keys: &'a [crate::desk::KeyInfo],
}

pub fn alarms(ctx: &Ctx, v: &AlarmView) -> Markup {
    layout(
        ctx,
        "Key monitoring",
        html! {
            h1 { "Key monitoring" }
            @if let Some(n) = v.notice { p class="notice" role="status" { (n) } }
            p { "At every sync the desk checks that the relay's signed directory carries this organisation's certificate exactly as enrolled, certified by the root key and not revoked. "
                "If not, someone may be trying to make phones seal reports to a key that is not yours." }
            dl class="facts" {
                dt { "Newest directory version seen" } dd { (v.directory_version) }
                dt { "Last sync" } dd { (v.last_sync.map_or("Never".into(), labels::date_hour)) }
            }
            h2 { "This desk's keys" }
            ul { @for k in v.keys { li { "Version " (k.version) ": fingerprint " code { (k.fingerprint) } } } }
            @if ctx.alarms.is_empty() {
                p class="notice" { "No active alarm." }
            } @else {
                section class="panel" aria-labelledby="clear-title" {
                    h2 id="clear-title" { "Clear the alarm after review" }
                    p { "Clear it only once you have confirmed with the root key holder what changed (for instance, a key rotation you asked for). Acknowledgements resume at the next sync." }
                    form method="post" action="/alarms/clear" class="stack" {
                        input type="hidden" name="csrf" value=(ctx.csrf);
                        @if let Some(m) = v.form.get("form") { p class="form-error" role="alert" { strong { "Error: " } (m) } }
                        div class="field" {
                            label for="alarm-note" { "What did you review?" }
                            textarea id="alarm-note" name="note" rows="3" maxlength="2000" required
                                aria-invalid=[invalid(v.form, "alarm-note")] aria-describedby=[described(v.form, "alarm-note", None)] { (v.form.value("alarm-note")) }
                            (field_error(v.form, "alarm-note"))
                        }
                        button type="submit" class="button-danger" { "Clear the alarm" }
                    }
                }
            }
        },
    )
}

pub fn message(ctx: &Ctx, title: &str, text: &str) -> Markup {
    layout(
        ctx,
        title,
        html! {
            h1 { (title) }
            p { (text) }
            p { a href="/" { "Back to the cases" } }
        },
    )
}
