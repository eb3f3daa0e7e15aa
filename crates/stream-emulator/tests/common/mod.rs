//! Helpers shared by the integration tests: start an emulator and call it over real HTTP.

#![allow(dead_code)]

pub mod signing;

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use stream_emulator::{Emulator, EmulatorConfig, RunningEmulator, Seed};

/// Starts an emulator with no videos and a short preparation time.
pub async fn start_empty() -> RunningEmulator {
    start(EmulatorConfig {
        seed: Seed::Empty,
        prepare_time: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn start(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config).await.expect("emulator starts")
}

/// A client for one emulator's API, authenticated with its token.
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub account_path: String,
    token: String,
}

impl Api {
    pub fn new(emulator: &RunningEmulator) -> Self {
        let base = emulator.api_base();
        Self {
            client: reqwest::Client::new(),
            account_path: format!("{base}/accounts/{}/stream", emulator.account_id()),
            base,
            token: emulator.api_token().to_owned(),
        }
    }

    /// Sends an authenticated request to `account_path + suffix`.
    pub async fn send(&self, method: Method, suffix: &str) -> Response {
        self.client
            .request(method, format!("{}{suffix}", self.account_path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request reaches the emulator")
    }

    /// Sends a request and returns the status and the parsed JSON body.
    pub async fn json(&self, method: Method, suffix: &str) -> (StatusCode, Value) {
        let response = self.send(method, suffix).await;
        let status = response.status();
        let body = response.json::<Value>().await.expect("body is JSON");
        (status, body)
    }

    /// Sends an authenticated request with a JSON body; returns the status and the parsed body.
    pub async fn json_with_body(
        &self,
        method: Method,
        suffix: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, format!("{}{suffix}", self.account_path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request reaches the emulator");
        let status = response.status();
        (status, response.json().await.expect("body is JSON"))
    }

    /// Returns the `result` of a successful GET.
    pub async fn get_result(&self, suffix: &str) -> Value {
        let (status, body) = self.json(Method::GET, suffix).await;
        assert_eq!(status, StatusCode::OK, "GET {suffix}: {body}");
        body["result"].clone()
    }

    /// Returns the uids of a list reply, in order.
    pub async fn list_uids(&self, query: &str) -> Vec<String> {
        uids(&self.get_result(&format!("?{query}")).await)
    }
}

pub fn uids(result: &Value) -> Vec<String> {
    result
        .as_array()
        .expect("result is an array")
        .iter()
        .map(|video| video["uid"].as_str().expect("uid is a string").to_owned())
        .collect()
}

/// Returns the first error code of a failure envelope.
pub fn error_code(body: &Value) -> i64 {
    body["errors"][0]["code"]
        .as_i64()
        .expect("errors[0].code is a number")
}

/// Percent-encodes an RFC 3339 time for a query string (`+` and `:`).
pub fn encode_time(text: &str) -> String {
    text.replace(':', "%3A").replace('+', "%2B")
}

/// Parses the `Date` header (IMF-fixdate) of a response into Unix seconds.
pub fn date_header_unix(headers: &reqwest::header::HeaderMap) -> i64 {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let text = headers
        .get(reqwest::header::DATE)
        .expect("response has a Date header")
        .to_str()
        .unwrap();
    time::PrimitiveDateTime::parse(text, format)
        .unwrap_or_else(|error| panic!("Date {text:?} is not an IMF-fixdate: {error}"))
        .assume_utc()
        .unix_timestamp()
}
