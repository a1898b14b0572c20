//! Settings: built-in defaults, then an optional TOML file, then `WORKVOICE_*` environment
//! variables (and `DATABASE_URL`). With nothing configured the relay keeps a SQLite file and its
//! key under `./data` and listens on 127.0.0.1:8080.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use workvoice_proto::keys::SigningPublicKey;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on, `host:port` (port 0 picks a free port).
    pub listen: String,
    /// Where the default SQLite file and the relay key live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data_dir>/relay.db`.
    pub database_url: Option<String>,
    pub max_connections: u32,
    /// The relay's Ed25519 directory key (32-byte seed, mode 0600); default
    /// `<data_dir>/relay.key`, created on first use.
    pub relay_key_file: Option<PathBuf>,
    /// Hex of the offline root key's public key: certificates must verify under it.
    pub root_public_key: Option<String>,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
    /// Log filter such as `info` or `workvoice_relay=debug,info`.
    pub log_level: String,
    /// Lifetime of a published directory.
    pub directory_ttl_secs: u64,
    /// `serve` republishes when the current directory expires within this margin.
    pub republish_margin_secs: u64,
    /// How long a relay process serves the directory it knows before asking the database for
    /// a newer one (0: on every request).
    pub directory_recheck_ms: u64,
    /// Proof-of-work difficulty written into the directory.
    pub pow_difficulty: u8,
    pub request_timeout_secs: u64,
    /// How long a connection may take to send a request's headers (also between requests on
    /// a kept-alive connection) before the relay closes it.
    pub header_read_timeout_secs: u64,
    /// Requests per second admitted on each class of anonymous endpoint (submissions, mailbox
    /// polls, uploads; the directory, served from memory, gets four times as many), all callers
    /// together; 0 disables every anonymous limit, per client too.
    pub anonymous_rate_per_second: u32,
    pub anonymous_burst: u32,
    /// Requests per second admitted from one client on anonymous endpoints, so one client
    /// cannot spend a class's budget. Keyed by the client's address, hashed in memory only.
    pub client_rate_per_second: u32,
    pub client_burst: u32,
    /// Escrow OPRF evaluations (`POST /v1/escrow/oprf`) admitted per hour from one client,
    /// after a burst of `oprf_client_burst`; 0 disables this limit. Keyed like the per-client
    /// limit above. Bounds how fast one client can test recruiter names (PROTOCOL.md 18.3).
    pub oprf_client_per_hour: u32,
    pub oprf_client_burst: u32,
    /// Length of an escrow OPRF epoch; the relay's OPRF key changes every epoch.
    pub escrow_epoch_secs: u64,
    /// Behind a reverse proxy: the header in which the proxy puts the client's address (for
    /// example `x-real-ip`; for `x-forwarded-for` the last entry counts). Without it the peer
    /// address is the client, and behind a proxy every client would share one bucket.
    pub client_address_header: Option<String>,
    /// Request-body bytes in flight, all requests together; beyond it a request with a body
    /// is refused at once (`503 relay_busy`). 0: no bound.
    pub max_body_bytes_in_flight: u64,
    /// Database size beyond which submissions and uploads are refused (`507 storage_full`);
    /// 0: no quota.
    pub storage_quota_bytes: u64,
    /// How long ciphertext stays after every recipient acknowledged.
    pub retention_grace_secs: u64,
    /// Age after which a submission record (tags, consent, recipients, hour) is deleted once
    /// its ciphertext is purged. Until then a late retry is answered identically.
    pub submission_retention_secs: u64,
    /// Age after which a mailbox, its entries and its report's routing rows are deleted; until
    /// then the organisations that held the report can reply and set statuses.
    pub mailbox_max_age_secs: u64,
    /// How often `serve` runs retention and checks the directory's expiry.
    pub maintenance_interval_secs: u64,
    /// Loopback address (`127.0.0.1:9464`, `[::1]:9464`) of a separate listener that serves
    /// `/metrics` to the operator; none (default): metrics are not served. The public listener
    /// never serves them.
    pub metrics_listen: Option<String>,
    /// `/metrics` serves a snapshot taken at most this often, with coarse counts.
    pub metrics_interval_secs: u64,
    /// How the public listener speaks: `off` (plain HTTP: on a loopback address, or on any
    /// address with `behind_proxy`), `files` (TLS with `tls_cert_file` and `tls_key_file`) or
    /// `acme` (TLS with a certificate the relay obtains and renews itself for `acme_domains`).
    pub tls: TlsMode,
    /// With `tls = "off"`: a TLS-terminating reverse proxy is in front, so plain HTTP may be
    /// served on a non-loopback address. Without it, plain HTTP on such an address is refused
    /// at start.
    pub behind_proxy: bool,
    /// PEM certificate chain (leaf first) for `tls = "files"`; reloaded on SIGHUP and when the
    /// file changes.
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) for `tls = "files"`.
    pub tls_key_file: Option<PathBuf>,
    /// How often `serve` looks at the certificate and key files for a change (SIGHUP reloads
    /// at once).
    pub tls_reload_check_secs: u64,
    /// The names the relay answers to, for `tls = "acme"` (TLS-ALPN-01 on the listener: the
    /// names must resolve to this server and it must be reachable on port 443).
    pub acme_domains: Vec<String>,
    /// Contact for the certificate authority, such as `mailto:ops@example.org`.
    pub acme_contact: Option<String>,
    /// The ACME directory; Let's Encrypt's production directory by default.
    pub acme_directory_url: String,
    /// PEM root certificates the ACME server's own HTTPS certificate must chain to, instead
    /// of the built-in web roots (for a private or test certificate authority).
    pub acme_ca_file: Option<PathBuf>,
    /// Where the ACME account key and the current certificate are kept (mode 0700, files
    /// 0600); default `<data_dir>/acme`.
    pub acme_cache_dir: Option<PathBuf>,
    /// OHTTP relays (`https://` URLs) that forward to this relay's `POST /v1/ohttp`, listed in
    /// the signed directory with the gateway key (PROTOCOL.md 14.8).
    pub ohttp_relays: Vec<String>,
    /// Addresses of the OHTTP relays in front of this relay. Their `POST /v1/ohttp` requests
    /// skip the per-client limit (they carry every phone behind them; each OHTTP relay limits
    /// its own clients); the route class limits still apply to the requests inside.
    pub ohttp_relay_addresses: Vec<String>,
    /// How often the Oblivious HTTP gateway key is replaced; 0: never.
    pub ohttp_key_rotation_secs: u64,
    /// How long a replaced gateway key is still accepted. At least `directory_ttl_secs`, so a
    /// phone holding the directory that listed it can use it until that directory expires.
    pub ohttp_key_grace_secs: u64,
}

/// How the public listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain HTTP (loopback, or behind a TLS-terminating proxy).
    #[default]
    Off,
    /// TLS with a certificate and key from files.
    Files,
    /// TLS with a certificate obtained and renewed with ACME.
    Acme,
}

impl TlsMode {
    pub fn is_on(self) -> bool {
        self != TlsMode::Off
    }
}

impl std::str::FromStr for TlsMode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "off" => Ok(TlsMode::Off),
            "files" => Ok(TlsMode::Files),
            "acme" => Ok(TlsMode::Acme),
            _ => Err(()),
        }
    }
}

/// Let's Encrypt's production ACME directory.
pub const LETS_ENCRYPT_DIRECTORY: &str = "https://acme-v02.api.letsencrypt.org/directory";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            max_connections: 16,
            relay_key_file: None,
            root_public_key: None,
            log_json: false,
            log_level: "info".into(),
            directory_ttl_secs: 7 * 24 * 3600,
            republish_margin_secs: 24 * 3600,
            directory_recheck_ms: 1000,
            pow_difficulty: 16,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            anonymous_rate_per_second: 200,
            anonymous_burst: 400,
            client_rate_per_second: 20,
            client_burst: 200,
            oprf_client_per_hour: 30,
            oprf_client_burst: 10,
            escrow_epoch_secs: 7 * 24 * 3600,
            client_address_header: None,
            max_body_bytes_in_flight: 64 * 1024 * 1024,
            storage_quota_bytes: 50 * 1024 * 1024 * 1024,
            retention_grace_secs: 7 * 24 * 3600,
            submission_retention_secs: 30 * 24 * 3600,
            mailbox_max_age_secs: 365 * 24 * 3600,
            maintenance_interval_secs: 300,
            metrics_listen: None,
            metrics_interval_secs: 3600,
            tls: TlsMode::Off,
            behind_proxy: false,
            tls_cert_file: None,
            tls_key_file: None,
            tls_reload_check_secs: 10,
            acme_domains: Vec::new(),
            acme_contact: None,
            acme_directory_url: LETS_ENCRYPT_DIRECTORY.into(),
            acme_ca_file: None,
            acme_cache_dir: None,
            ohttp_relays: Vec::new(),
            ohttp_relay_addresses: Vec::new(),
            ohttp_key_rotation_secs: 30 * 24 * 3600,
            ohttp_key_grace_secs: 8 * 24 * 3600,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for {name}: {value:?}")]
    Env { name: String, value: String },
    #[error("root_public_key is not 64 hex characters")]
    RootKey,
    #[error(
        "ohttp_key_grace_secs = {0} is shorter than directory_ttl_secs = {1}: a phone holding \
         the last directory would use a gateway key the relay no longer accepts"
    )]
    OhttpGrace(u64, u64),
    #[error("ohttp_relays: {0:?} is not an https:// URL (http:// only on a loopback address)")]
    OhttpRelay(String),
    #[error("ohttp_relay_addresses: {0:?} is not an IP address")]
    OhttpRelayAddress(String),
    #[error(
        "pow_difficulty = {0} is above {max}, the most a phone solves (PROTOCOL.md 12): phones \
         would hold every report",
        max = workvoice_proto::pow::MAX_ACCEPTED_POW_DIFFICULTY
    )]
    PowDifficulty(u8),
}

impl Settings {
    /// Defaults, then `file` (if any), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut settings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                Settings::from_toml(&text).map_err(|message| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message,
                })?
            }
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        settings.check()?;
        Ok(settings)
    }

    /// Values that parse but that phones could not work with.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.pow_difficulty > workvoice_proto::pow::MAX_ACCEPTED_POW_DIFFICULTY {
            return Err(ConfigError::PowDifficulty(self.pow_difficulty));
        }
        if self.ohttp_key_grace_secs < self.directory_ttl_secs {
            return Err(ConfigError::OhttpGrace(
                self.ohttp_key_grace_secs,
                self.directory_ttl_secs,
            ));
        }
        if let Some(bad) = self
            .ohttp_relay_addresses
            .iter()
            .find(|a| a.parse::<std::net::IpAddr>().is_err())
        {
            return Err(ConfigError::OhttpRelayAddress(bad.clone()));
        }
        if let Some(url) = self
            .ohttp_relays
            .iter()
            .find(|u| !workvoice_proto::oblivious::relay_url_allowed(u))
        {
            return Err(ConfigError::OhttpRelay(url.clone()));
        }
        Ok(())
    }

    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Override fields from variables named `WORKVOICE_<FIELD>` (upper case), and the database
    /// URL from `DATABASE_URL` as well.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &str, value: String) -> Result<T, ConfigError> {
            value.trim().parse().map_err(|_| ConfigError::Env {
                name: name.to_string(),
                value,
            })
        }
        fn flag(name: &str, value: String) -> Result<bool, ConfigError> {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::Env {
                    name: name.to_string(),
                    value,
                }),
            }
        }
        if let Some(v) = var("DATABASE_URL") {
            self.database_url = Some(v);
        }
        macro_rules! env_field {
            ($field:ident, $kind:ident) => {{
                let name = concat!("WORKVOICE_", stringify!($field)).to_ascii_uppercase();
                if let Some(v) = var(&name) {
                    env_field!(@set self.$field, $kind, &name, v);
                }
            }};
            (@set $target:expr, string, $name:expr, $v:expr) => { $target = $v };
            (@set $target:expr, opt_string, $name:expr, $v:expr) => { $target = Some($v) };
            (@set $target:expr, path, $name:expr, $v:expr) => { $target = PathBuf::from($v) };
            (@set $target:expr, opt_path, $name:expr, $v:expr) => { $target = Some(PathBuf::from($v)) };
            (@set $target:expr, flag, $name:expr, $v:expr) => { $target = flag($name, $v)? };
            (@set $target:expr, num, $name:expr, $v:expr) => { $target = parse($name, $v)? };
            (@set $target:expr, list, $name:expr, $v:expr) => {
                $target = $v
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(String::from)
                    .collect()
            };
        }
        env_field!(listen, string);
        env_field!(data_dir, path);
        env_field!(database_url, opt_string);
        env_field!(max_connections, num);
        env_field!(relay_key_file, opt_path);
        env_field!(root_public_key, opt_string);
        env_field!(log_json, flag);
        env_field!(log_level, string);
        env_field!(directory_ttl_secs, num);
        env_field!(republish_margin_secs, num);
        env_field!(directory_recheck_ms, num);
        env_field!(pow_difficulty, num);
        env_field!(request_timeout_secs, num);
        env_field!(header_read_timeout_secs, num);
        env_field!(anonymous_rate_per_second, num);
        env_field!(anonymous_burst, num);
        env_field!(client_rate_per_second, num);
        env_field!(oprf_client_per_hour, num);
        env_field!(oprf_client_burst, num);
        env_field!(escrow_epoch_secs, num);
        env_field!(client_burst, num);
        env_field!(client_address_header, opt_string);
        env_field!(max_body_bytes_in_flight, num);
        env_field!(storage_quota_bytes, num);
        env_field!(retention_grace_secs, num);
        env_field!(submission_retention_secs, num);
        env_field!(mailbox_max_age_secs, num);
        env_field!(maintenance_interval_secs, num);
        env_field!(metrics_listen, opt_string);
        env_field!(metrics_interval_secs, num);
        env_field!(tls, num);
        env_field!(behind_proxy, flag);
        env_field!(tls_cert_file, opt_path);
        env_field!(tls_key_file, opt_path);
        env_field!(tls_reload_check_secs, num);
        env_field!(acme_domains, list);
        env_field!(acme_contact, opt_string);
        env_field!(acme_directory_url, string);
        env_field!(acme_ca_file, opt_path);
        env_field!(acme_cache_dir, opt_path);
        env_field!(ohttp_relays, list);
        env_field!(ohttp_relay_addresses, list);
        env_field!(ohttp_key_rotation_secs, num);
        env_field!(ohttp_key_grace_secs, num);
        Ok(())
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("relay.db").display()
            ),
        }
    }

    pub fn relay_key_path(&self) -> PathBuf {
        self.relay_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("relay.key"))
    }

    /// Where the ACME account and certificate are kept.
    pub fn acme_cache_path(&self) -> PathBuf {
        self.acme_cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("acme"))
    }

    /// The retention periods in effect.
    pub fn retention(&self) -> crate::storage::Retention {
        crate::storage::Retention {
            grace_secs: self.retention_grace_secs,
            record_max_age_secs: self.submission_retention_secs,
            mailbox_max_age_secs: self.mailbox_max_age_secs,
        }
    }

    /// The configured root public key, if any.
    pub fn root_key(&self) -> Result<Option<SigningPublicKey>, ConfigError> {
        match &self.root_public_key {
            None => Ok(None),
            Some(hex) => SigningPublicKey::from_hex(hex.trim())
                .map(Some)
                .ok_or(ConfigError::RootKey),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        let mut s = Settings::from_toml(
            "listen = \"0.0.0.0:9000\"\npow_difficulty = 20\nlog_json = true\n",
        )
        .unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert_eq!(s.pow_difficulty, 20);
        assert_eq!(s.directory_ttl_secs, 7 * 24 * 3600);
        s.apply_env(|name| match name {
            "WORKVOICE_POW_DIFFICULTY" => Some("12".into()),
            "DATABASE_URL" => Some("postgres://x@y/z".into()),
            "WORKVOICE_LOG_JSON" => Some("false".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.pow_difficulty, 12);
        assert!(!s.log_json);
        assert_eq!(s.database_url(), "postgres://x@y/z");
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Settings::from_toml("no_such_field = 1").is_err());
        let mut s = Settings::default();
        let err = s
            .apply_env(|n| (n == "WORKVOICE_POW_DIFFICULTY").then(|| "lots".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("WORKVOICE_POW_DIFFICULTY"));
    }

    #[test]
    fn default_database_is_sqlite_under_data() {
        let s = Settings::default();
        assert_eq!(s.database_url(), "sqlite://./data/relay.db?mode=rwc");
        assert_eq!(s.relay_key_path(), PathBuf::from("./data/relay.key"));
        assert_eq!(s.tls, TlsMode::Off);
        assert_eq!(s.acme_cache_path(), PathBuf::from("./data/acme"));
    }

    /// The Debian package's conffile, and every setting its comments suggest, are settings
    /// this relay accepts.
    #[test]
    fn debian_conffile_and_its_examples_parse() {
        let text = include_str!("../debian/relay.toml");
        let s = Settings::from_toml(text).unwrap();
        assert_eq!(s.tls, TlsMode::Off);
        assert_eq!(s.listen, "127.0.0.1:8080");
        let mut examples = 0;
        for line in text.lines() {
            let Some(example) = line.strip_prefix("#   ") else {
                continue;
            };
            if example.contains(" = ") && !example.contains("workvoice-relay") {
                Settings::from_toml(example).unwrap_or_else(|e| panic!("{example}: {e}"));
                examples += 1;
            }
        }
        assert!(examples >= 10, "{examples}");
    }

    #[test]
    fn oblivious_http_settings_are_checked() {
        let ok = Settings {
            ohttp_relays: vec!["https://ohttp.partner.example/workvoice".into()],
            ohttp_relay_addresses: vec!["203.0.113.10".into(), "2001:db8::1".into()],
            ..Settings::default()
        };
        assert!(ok.check().is_ok());
        let bad = |f: fn(&mut Settings)| {
            let mut s = ok.clone();
            f(&mut s);
            s.check().unwrap_err().to_string()
        };
        assert!(bad(|s| s.ohttp_key_grace_secs = s.directory_ttl_secs - 1).contains("shorter"));
        assert!(bad(|s| s.ohttp_relays = vec!["http://ohttp.example/".into()]).contains("https"));
        assert!(bad(|s| s.ohttp_relay_addresses = vec!["ohttp.example".into()]).contains("IP"));
    }

    #[test]
    fn a_difficulty_phones_refuse_is_refused() {
        let mut s = Settings {
            pow_difficulty: workvoice_proto::pow::MAX_ACCEPTED_POW_DIFFICULTY,
            ..Settings::default()
        };
        assert!(s.check().is_ok());
        s.pow_difficulty += 1;
        let e = s.check().unwrap_err().to_string();
        assert!(e.contains("pow_difficulty = 21 is above 20"), "{e}");
    }

    #[test]
    fn tls_settings_from_file_and_environment() {
        let mut s = Settings::from_toml(
            "tls = \"acme\"\nacme_domains = [\"relay.example.org\"]\nlisten = \"[::]:443\"\n",
        )
        .unwrap();
        assert_eq!(s.tls, TlsMode::Acme);
        assert_eq!(s.acme_domains, ["relay.example.org"]);
        assert_eq!(s.acme_directory_url, LETS_ENCRYPT_DIRECTORY);
        s.apply_env(|name| match name {
            "WORKVOICE_TLS" => Some("files".into()),
            "WORKVOICE_ACME_DOMAINS" => Some("a.example, b.example".into()),
            "WORKVOICE_BEHIND_PROXY" => Some("yes".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.tls, TlsMode::Files);
        assert_eq!(s.acme_domains, ["a.example", "b.example"]);
        assert!(s.behind_proxy);
        assert!(Settings::from_toml("tls = \"on\"").is_err());
        let err = s
            .apply_env(|n| (n == "WORKVOICE_TLS").then(|| "yes".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("WORKVOICE_TLS"));
    }
}
