//! Helpers shared by the relay's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod escrow;

use reqwest::{Client, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use workvoice_proto::api::ApiError;
use workvoice_relay::testing::{TestDatabase, TestRelay, TestRelayOptions};

/// Generate one `#[tokio::test]` per backend for each named async fn taking a `TestDatabase`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(workvoice_relay::testing::TestDatabase::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(workvoice_relay::testing::TestDatabase::Postgres).await
                }
            )*
        }
    };
}

pub async fn relay(database: TestDatabase) -> TestRelay {
    TestRelay::spawn(TestRelayOptions {
        database,
        ..TestRelayOptions::default()
    })
    .await
    .expect("start the test relay (PostgreSQL tests need WORKVOICE_TEST_PG_URL: run scripts/postgres-up)")
}

pub fn client() -> Client {
    install_crypto_provider();
    Client::builder().build().unwrap()
}

/// Installs ring as the process's rustls provider. Needed when the workspace
/// build unifies reqwest with the desk's `rustls-no-provider` feature; a no-op
/// when it is already installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub async fn post_json(
    c: &Client,
    url: &str,
    body: &impl Serialize,
    token: Option<&str>,
) -> Response {
    let mut r = c.post(url).json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

pub async fn get(c: &Client, url: &str, token: Option<&str>) -> Response {
    let mut r = c.get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

pub async fn json<T: DeserializeOwned>(r: Response) -> T {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("unexpected body {text}: {e}"))
}

/// Assert an error answer: status and stable code.
pub async fn expect_error(r: Response, status: StatusCode, code: &str) -> ApiError {
    let got = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "status for {code}: body {text}");
    let e: ApiError =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not an ApiError: {text}"));
    assert_eq!(e.error, code, "{text}");
    assert!(!e.message.is_empty());
    e
}
