//! The numbered SMS dialogue, as a pure function: the state of one conversation and the text
//! she sent in, the texts to send back and what to do. No I/O, no clock.
//!
//! Every text comes from the app's translations (`workvoice_core::i18n`, keys `sms.*`). A
//! wrong answer gets a hint and the same question again. `HELP`, `STOP` and `DELETE` work at
//! every step, in English and in her language.

use serde::{Deserialize, Serialize};
use workvoice_cli::{ConsentLine, FeeLine, PartyLine, ReportFile};
use workvoice_core::app::sector_key;
use workvoice_core::i18n::{K, LANGUAGES, tr, trf};
use workvoice_proto::directory::Listing;
use workvoice_proto::iso::currency_exponent;
use workvoice_proto::report::{Indicator, Sector};

/// The longest recruiter name or licence number taken, in characters.
pub const MAX_RECRUITER_CHARS: usize = 60;
/// The longest fee amount taken, in digits.
pub const MAX_AMOUNT_DIGITS: usize = 12;

/// Destination countries and, for each, the sectors the directory's routing rules name: the
/// corridors a report can be routed along.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Corridors {
    pub countries: Vec<(String, Vec<Sector>)>,
}

impl Corridors {
    /// The corridors of a verified listing: every country a rule names, with the sectors of
    /// the rules that apply to it (rules for every country included).
    pub fn from_listing(listing: &Listing) -> Corridors {
        let mut countries: Vec<String> = listing
            .rules
            .iter()
            .flat_map(|r| r.destination_countries.iter().cloned())
            .collect();
        countries.sort();
        countries.dedup();
        let countries = countries
            .into_iter()
            .map(|country| {
                let mut sectors: Vec<Sector> = listing
                    .rules
                    .iter()
                    .filter(|r| {
                        r.destination_countries.is_empty()
                            || r.destination_countries.contains(&country)
                    })
                    .flat_map(|r| r.sectors.iter().copied())
                    .collect();
                sectors.sort();
                sectors.dedup();
                (country, sectors)
            })
            .collect();
        Corridors { countries }
    }

    fn sectors(&self, country: &str) -> &[Sector] {
        self.countries
            .iter()
            .find(|(c, _)| c == country)
            .map_or(&[], |(_, s)| s.as_slice())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Step {
    #[default]
    Language,
    Country,
    Sector,
    Fee,
    Recruiter,
    Problems,
    Inspectorate,
    Answers,
    Confirm,
}

/// One conversation. Kept sealed at rest between messages, erased once sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Dialogue {
    pub step: Step,
    pub language: Option<String>,
    pub country: Option<String>,
    /// The ISIC letter, `None` for "other".
    pub sector: Option<char>,
    /// Amount as typed (digits) and ISO 4217 currency; `None` when she paid nothing.
    pub fee: Option<(String, String)>,
    pub recruiter: Option<String>,
    /// Indices into [`Indicator::ALL`].
    pub problems: Vec<usize>,
    pub inspectorate: bool,
    pub answers: bool,
}

/// What the service does after a message.
#[derive(Debug, Clone)]
pub enum Action {
    /// Keep the dialogue for the next message.
    Continue,
    /// She confirmed: seal and send this report, then forget the dialogue.
    Submit(Box<ReportFile>),
    /// `STOP`: forget the dialogue.
    Stop,
    /// `DELETE`: forget the dialogue and anything kept for her number.
    Delete,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub replies: Vec<String>,
    pub action: Action,
}

enum Keyword {
    Help,
    Stop,
    Delete,
}

/// A keyword in any language, with the language whose word it is (when not English).
fn keyword(text: &str) -> Option<(Keyword, Option<&'static str>)> {
    let word = text.trim().to_uppercase();
    for (key, keyword) in [
        (K::SmsWordHelp, Keyword::Help),
        (K::SmsWordStop, Keyword::Stop),
        (K::SmsWordDelete, Keyword::Delete),
    ] {
        if let Some((code, _)) = LANGUAGES
            .iter()
            .find(|(l, _)| *l != "en" && word == tr(l, key).to_uppercase())
        {
            return Some((keyword, Some(*code)));
        }
        if word == key.english() {
            return Some((keyword, None));
        }
    }
    None
}

/// The language menu, sent before she has chosen (the languages' own names).
pub fn language_menu() -> String {
    let items: Vec<String> = LANGUAGES
        .iter()
        .enumerate()
        .map(|(i, (_, name))| format!("{} {name}", i + 1))
        .collect();
    format!("Workvoice\n{}", items.join("\n"))
}

/// A keyword in English and, when different, in `language`: `मद्दत/HELP`.
fn word(language: &str, key: K) -> String {
    let local = tr(language, key);
    if local == key.english() {
        local
    } else {
        format!("{local}/{}", key.english())
    }
}

impl Dialogue {
    fn lang(&self) -> &str {
        self.language.as_deref().unwrap_or("en")
    }

    /// The texts that ask the current question.
    pub fn question(&self, corridors: &Corridors) -> Vec<String> {
        let l = self.lang();
        match self.step {
            Step::Language => vec![language_menu()],
            Step::Country => {
                let mut text = tr(l, K::SmsAskCountry);
                for (i, (country, _)) in corridors.countries.iter().enumerate() {
                    text.push_str(&format!("\n{} {country}", i + 1));
                }
                vec![text]
            }
            Step::Sector => {
                let mut text = tr(l, K::SmsAskSector);
                let sectors = corridors.sectors(self.country.as_deref().unwrap_or(""));
                for (i, sector) in sectors.iter().enumerate() {
                    text.push_str(&format!("\n{} {}", i + 1, tr(l, sector_key(*sector))));
                }
                text.push_str(&format!("\n0 {}", tr(l, K::SmsSectorOther)));
                vec![text]
            }
            Step::Fee => vec![tr(l, K::SmsAskFee)],
            Step::Recruiter => vec![tr(l, K::SmsAskRecruiter)],
            Step::Problems => {
                let mut texts = vec![tr(l, K::SmsAskProblems)];
                for range in [0..6, 6..11] {
                    let lines: Vec<String> = range
                        .map(|i| format!("{} {}", i + 1, tr(l, problem_key(i))))
                        .collect();
                    texts.push(lines.join("\n"));
                }
                texts
            }
            Step::Inspectorate => vec![tr(l, K::SmsAskInspectorate)],
            Step::Answers => vec![tr(l, K::SmsAskAnswers)],
            Step::Confirm => self.summary(),
        }
    }

    fn summary(&self) -> Vec<String> {
        let l = self.lang();
        let yes_no = |b: bool| tr(l, if b { K::SmsYes } else { K::SmsNo });
        let sector = match self.sector.and_then(Sector::from_letter) {
            Some(s) => tr(l, sector_key(s)),
            None => tr(l, K::SmsSectorOther),
        };
        let fee = match &self.fee {
            Some((amount, currency)) => format!("{amount} {currency}"),
            None => "0".into(),
        };
        let recruiter = self.recruiter.clone().unwrap_or_else(|| "-".into());
        let problems = if self.problems.is_empty() {
            tr(l, K::SmsNone)
        } else {
            let numbers: Vec<String> = self.problems.iter().map(|i| (i + 1).to_string()).collect();
            numbers.join(" ")
        };
        vec![
            trf(
                l,
                K::SmsSummary,
                &[
                    ("country", self.country.clone().unwrap_or_default()),
                    ("sector", sector),
                    ("fee", fee),
                ],
            ),
            trf(
                l,
                K::SmsSummaryMore,
                &[("recruiter", recruiter), ("problems", problems)],
            ),
            trf(
                l,
                K::SmsConfirm,
                &[
                    ("inspectorate", yes_no(self.inspectorate)),
                    ("answers", yes_no(self.answers)),
                ],
            ),
        ]
    }

    fn help(&self) -> String {
        let l = self.lang();
        trf(
            l,
            K::SmsHelp,
            &[
                ("stop", word(l, K::SmsWordStop)),
                ("delete", word(l, K::SmsWordDelete)),
                ("help", word(l, K::SmsWordHelp)),
            ],
        )
    }

    /// The same question again after `hint`.
    fn again(&self, hint: String, corridors: &Corridors) -> Outcome {
        let mut replies = vec![hint];
        replies.extend(self.question(corridors));
        Outcome {
            replies,
            action: Action::Continue,
        }
    }

    fn next(&mut self, step: Step, corridors: &Corridors) -> Outcome {
        self.step = step;
        Outcome {
            replies: self.question(corridors),
            action: Action::Continue,
        }
    }

    /// Take her message `text` at the current step.
    pub fn answer(&mut self, text: &str, corridors: &Corridors) -> Outcome {
        let l = self.lang().to_string();
        let found = keyword(text);
        // A keyword in her language tells it before she has chosen one.
        if let Some((_, Some(code))) = found
            && self.language.is_none()
        {
            self.language = Some(code.to_string());
            if self.step == Step::Language {
                self.step = Step::Country;
            }
        }
        let l = self.language.clone().unwrap_or(l);
        match found.map(|(k, _)| k) {
            Some(Keyword::Help) => {
                let mut replies = vec![self.help()];
                replies.extend(self.question(corridors));
                return Outcome {
                    replies,
                    action: Action::Continue,
                };
            }
            Some(Keyword::Stop) => {
                return Outcome {
                    replies: vec![tr(&l, K::SmsStopped)],
                    action: Action::Stop,
                };
            }
            Some(Keyword::Delete) => {
                return Outcome {
                    replies: vec![tr(&l, K::SmsDeleted)],
                    action: Action::Delete,
                };
            }
            None => {}
        }
        let text = text.trim();
        let hint_number = || tr(&l, K::SmsHintNumber);
        let yes_no = |text: &str| match number(text) {
            Some(1) => Some(true),
            Some(2) => Some(false),
            _ => None,
        };
        match self.step {
            Step::Language => match choose_language(text) {
                Some(code) => {
                    self.language = Some(code.to_string());
                    let mut out = self.next(Step::Country, corridors);
                    out.replies.insert(0, tr(code, K::SmsIntro));
                    out
                }
                None => self.again(tr(&l, K::SmsLanguageUnknown), corridors),
            },
            Step::Country => match number(text) {
                Some(n) if (1..=corridors.countries.len()).contains(&n) => {
                    self.country = Some(corridors.countries[n - 1].0.clone());
                    self.next(Step::Sector, corridors)
                }
                _ => self.again(hint_number(), corridors),
            },
            Step::Sector => {
                let sectors = corridors.sectors(self.country.as_deref().unwrap_or(""));
                match number(text) {
                    Some(0) => {
                        self.sector = None;
                        self.next(Step::Fee, corridors)
                    }
                    Some(n) if (1..=sectors.len()).contains(&n) => {
                        self.sector = Some(sectors[n - 1].letter());
                        self.next(Step::Fee, corridors)
                    }
                    _ => self.again(hint_number(), corridors),
                }
            }
            Step::Fee => match parse_fee(text) {
                Some(fee) => {
                    self.fee = fee;
                    self.next(Step::Recruiter, corridors)
                }
                None => self.again(tr(&l, K::SmsHintFee), corridors),
            },
            Step::Recruiter => {
                let clean: String = text.chars().filter(|c| !c.is_control()).collect();
                let clean = clean.trim();
                if clean.is_empty() || clean.chars().count() > MAX_RECRUITER_CHARS {
                    let hint = trf(
                        &l,
                        K::SmsHintText,
                        &[("max", MAX_RECRUITER_CHARS.to_string())],
                    );
                    return self.again(hint, corridors);
                }
                self.recruiter = (clean != "0").then(|| clean.to_string());
                self.next(Step::Problems, corridors)
            }
            Step::Problems => match parse_problems(text) {
                Some(problems) => {
                    self.problems = problems;
                    self.next(Step::Inspectorate, corridors)
                }
                None => self.again(tr(&l, K::SmsHintNumbers), corridors),
            },
            Step::Inspectorate => match yes_no(text) {
                Some(b) => {
                    self.inspectorate = b;
                    self.next(Step::Answers, corridors)
                }
                None => self.again(hint_number(), corridors),
            },
            Step::Answers => match yes_no(text) {
                Some(b) => {
                    self.answers = b;
                    self.next(Step::Confirm, corridors)
                }
                None => self.again(hint_number(), corridors),
            },
            Step::Confirm => match number(text) {
                Some(1) => Outcome {
                    replies: Vec::new(),
                    action: Action::Submit(Box::new(self.report_file())),
                },
                Some(2) => {
                    let language = self.language.take();
                    *self = Dialogue {
                        language,
                        ..Dialogue::default()
                    };
                    self.next(Step::Country, corridors)
                }
                _ => self.again(hint_number(), corridors),
            },
        }
    }

    /// The report her answers make, in the words of the app's forms.
    pub fn report_file(&self) -> ReportFile {
        let fees = match &self.fee {
            Some((amount, currency)) => vec![FeeLine {
                amount: amount.clone(),
                currency: currency.clone(),
                payee: "recruitment_agency".into(),
                stage: "origin".into(),
                category: "recruitment_service_fee".into(),
                paid_on: None,
                receipt: None,
            }],
            None => Vec::new(),
        };
        ReportFile {
            fees,
            deductions: Vec::new(),
            loans: Vec::new(),
            job: None,
            indicators: self
                .problems
                .iter()
                .filter_map(|i| Indicator::ALL.get(*i))
                .map(|i| i.as_str().to_string())
                .collect(),
            recruiter: self.recruiter.as_ref().map(|name| PartyLine {
                name: name.clone(),
                licence_number: None,
                country: None,
            }),
            employer: None,
            destination_country: self.country.clone().unwrap_or_default(),
            origin_country: None,
            sector: self.sector.map(|c| c.to_string()),
            monthly_wage: None,
            contract_substituted: None,
            story: None,
            language: self.language.clone(),
            evidence: Vec::new(),
            consent: ConsentLine {
                union: true,
                inspectorate: self.inspectorate,
                ngo: false,
                contact_wanted: self.answers,
            },
            escrow: false,
        }
    }
}

pub fn problem_key(index: usize) -> K {
    const KEYS: [K; 11] = [
        K::SmsProblem1,
        K::SmsProblem2,
        K::SmsProblem3,
        K::SmsProblem4,
        K::SmsProblem5,
        K::SmsProblem6,
        K::SmsProblem7,
        K::SmsProblem8,
        K::SmsProblem9,
        K::SmsProblem10,
        K::SmsProblem11,
    ];
    KEYS[index.min(10)]
}

/// A single number: ASCII digits only (a phone keypad's), at most 3 of them.
fn number(text: &str) -> Option<usize> {
    let text = text.trim();
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A language by its number in the menu or its name as the menu writes it. Not by its code:
/// "hi" is a greeting before it is Hindi.
fn choose_language(text: &str) -> Option<&'static str> {
    if let Some(n) = number(text) {
        return LANGUAGES.get(n.checked_sub(1)?).map(|(code, _)| *code);
    }
    let lower = text.to_lowercase();
    LANGUAGES
        .iter()
        .find(|(_, name)| lower == name.to_lowercase())
        .map(|(code, _)| *code)
}

/// `0`, or an amount and an ISO 4217 currency in either order (`150000 NPR`, `NPR 150000`).
/// `Some(None)` is "nothing paid".
fn parse_fee(text: &str) -> Option<Option<(String, String)>> {
    if number(text) == Some(0) {
        return Some(None);
    }
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [a, b] = parts.as_slice() else {
        return None;
    };
    let (amount, currency) = if a.bytes().all(|c| c.is_ascii_digit()) {
        (*a, *b)
    } else {
        (*b, *a)
    };
    let currency = currency.to_ascii_uppercase();
    let amount_ok = !amount.is_empty()
        && amount.len() <= MAX_AMOUNT_DIGITS
        && amount.bytes().all(|c| c.is_ascii_digit())
        && amount.bytes().any(|c| c != b'0');
    if !amount_ok || currency_exponent(&currency).is_none() {
        return None;
    }
    Some(Some((amount.trim_start_matches('0').to_string(), currency)))
}

/// `0` (none), or numbers 1 to 11 separated by spaces or commas: `1 4 7`, `1,4,7`.
fn parse_problems(text: &str) -> Option<Vec<usize>> {
    if number(text) == Some(0) {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    for token in text.split([' ', ',', ';']).filter(|t| !t.is_empty()) {
        let n = number(token)?;
        if !(1..=Indicator::ALL.len()).contains(&n) {
            return None;
        }
        if !out.contains(&(n - 1)) {
            out.push(n - 1);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Every text the dialogue can send in `language`, at their longest: each question, hint and
/// notice, with the summary filled with the longest values it takes. For the segment budget.
pub fn every_text(language: &str, corridors: &Corridors) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut d = Dialogue {
        language: Some(language.to_string()),
        country: corridors.countries.first().map(|(c, _)| c.clone()),
        ..Dialogue::default()
    };
    for step in [
        Step::Language,
        Step::Country,
        Step::Sector,
        Step::Fee,
        Step::Recruiter,
        Step::Problems,
        Step::Inspectorate,
        Step::Answers,
    ] {
        d.step = step;
        for (i, text) in d.question(corridors).into_iter().enumerate() {
            out.push((format!("{step:?}[{i}]"), text));
        }
    }
    // The summary at its longest: the longest sector name, the longest recruiter, all
    // eleven problems, the longest amount.
    let longest_sector = Sector::ALL
        .iter()
        .max_by_key(|s| tr(language, sector_key(**s)).encode_utf16().count())
        .map(|s| s.letter());
    let longest = Dialogue {
        step: Step::Confirm,
        language: Some(language.to_string()),
        country: Some("QA".into()),
        sector: longest_sector,
        fee: Some(("9".repeat(MAX_AMOUNT_DIGITS), "NPR".into())),
        recruiter: Some("W".repeat(MAX_RECRUITER_CHARS)),
        problems: (0..11).collect(),
        inspectorate: true,
        answers: true,
    };
    for (i, text) in longest.question(corridors).into_iter().enumerate() {
        out.push((format!("Confirm[{i}]"), text));
    }
    let l = language;
    out.push(("intro".into(), tr(l, K::SmsIntro)));
    out.push(("help".into(), d.help()));
    for key in [
        K::SmsLanguageUnknown,
        K::SmsSent,
        K::SmsNotSent,
        K::SmsStopped,
        K::SmsDeleted,
        K::SmsHintNumber,
        K::SmsHintNumbers,
        K::SmsHintFee,
        K::SmsSlowDown,
        K::SmsBusy,
    ] {
        out.push((key.key().into(), tr(l, key)));
    }
    out.push((
        "hint_text".into(),
        trf(
            l,
            K::SmsHintText,
            &[("max", MAX_RECRUITER_CHARS.to_string())],
        ),
    ));
    out
}
