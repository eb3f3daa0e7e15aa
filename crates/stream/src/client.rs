//! The HTTP client: configuration, request building and envelope parsing.

use std::time::Duration;

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::debug;

use crate::clock::ServerClock;
use crate::error::{excerpt, ApiMessage, Error};
use crate::token::ApiToken;
use crate::types::{Download, DownloadType, Downloads, Video};

/// The production API base URL.
pub const DEFAULT_API_BASE: &str = "https://api.cloudflare.com/client/v4";

/// Settings for a [`StreamClient`].
///
/// Defaults: the production base URL, a 15 s connect timeout and a 60 s idle read timeout.
/// There is deliberately no total deadline, because a multi-gigabyte body may take hours.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base such as `https://api.cloudflare.com/client/v4`, without a trailing slash.
    pub api_base: String,
    /// The Cloudflare account id that owns the videos.
    pub account_id: String,
    /// The API token sent as a Bearer credential.
    pub api_token: ApiToken,
    /// Maximum time to establish a connection.
    pub connect_timeout: Duration,
    /// Maximum time between two reads of a response; resets on every chunk.
    pub read_timeout: Duration,
}

impl ClientConfig {
    /// Creates settings for the production API with default timeouts.
    pub fn new(account_id: impl Into<String>, api_token: ApiToken) -> Self {
        Self {
            api_base: DEFAULT_API_BASE.to_owned(),
            account_id: account_id.into().trim().to_owned(),
            api_token,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
        }
    }

    /// Replaces the API base URL, for the emulator or a proxy.
    pub fn with_api_base(mut self, api_base: impl Into<String>) -> Self {
        self.api_base = api_base.into().trim().trim_end_matches('/').to_owned();
        self
    }
}

/// A client for one Stream account.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct StreamClient {
    http: reqwest::Client,
    config: ClientConfig,
    host: String,
    clock: ServerClock,
}

/// Whether a response body may be quoted in an error. Bodies of the key and token endpoints
/// hold secrets, so their errors never quote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sensitivity {
    Public,
    Secret,
}

/// The v4 envelope. `total` and `range` are only sent by the video list.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    errors: Vec<ApiMessage>,
    #[serde(default)]
    result: serde_json::Value,
    #[serde(default, deserialize_with = "crate::lenient::opt_u64")]
    total: Option<u64>,
    #[serde(default, deserialize_with = "crate::lenient::opt_u64")]
    range: Option<u64>,
}

/// The parsed `result` of a successful call, plus the list counters when present.
pub(crate) struct Success<T> {
    pub result: T,
    pub total: Option<u64>,
    pub range: Option<u64>,
}

impl StreamClient {
    /// Creates a client.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is not an http(s) URL, the account id is empty or
    /// contains characters that cannot be part of a URL path, or the token is empty.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let base = url::Url::parse(&config.api_base).map_err(|e| {
            Error::Config(format!(
                "API base URL '{}' is not a valid URL ({e}); use a URL such as {DEFAULT_API_BASE}",
                config.api_base
            ))
        })?;
        // Plain http would send the token unencrypted, so it is allowed only on this machine.
        let loopback = matches!(base.host(), Some(url::Host::Domain("localhost")))
            || matches!(base.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || matches!(base.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
        let secure = base.scheme() == "https" || (base.scheme() == "http" && loopback);
        if !secure {
            return Err(Error::Config(format!(
                "API base URL '{}' must start with https:// (http:// is accepted only for 127.0.0.1 or localhost, such as a local emulator)",
                config.api_base
            )));
        }
        if config.account_id.is_empty() || !is_path_safe(&config.account_id) {
            return Err(Error::Config(format!(
                "account id '{}' is invalid: copy the 32-character account id from the Cloudflare dashboard",
                config.account_id
            )));
        }
        if config.api_token.is_empty() {
            return Err(Error::Config(
                "the API token is empty: create one with the Stream Read and Stream Write permissions".into(),
            ));
        }

        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(concat!("offstream/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot create the HTTP client: {e}")))?;
        let host = base.host_str().unwrap_or("the API").to_owned();
        Ok(Self {
            http,
            config,
            host,
            clock: ServerClock::default(),
        })
    }

    /// Returns the server clock estimate that every API response updates. Clones of this
    /// client share it.
    pub fn server_clock(&self) -> &ServerClock {
        &self.clock
    }

    /// Returns the account id.
    pub fn account_id(&self) -> &str {
        &self.config.account_id
    }

    /// Returns the API base URL.
    pub fn api_base(&self) -> &str {
        &self.config.api_base
    }

    /// Returns the underlying HTTP client, with the same timeouts, for fetching download URLs.
    /// Requests made with it carry no API credentials.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.http
    }

    /// Fetches one video.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown uid, [`Error::Auth`] for a rejected token, and the
    /// transport errors of every call.
    pub async fn video(&self, uid: &str) -> Result<Video, Error> {
        check_uid(uid)?;
        let what = format!("video '{uid}'");
        self.call(Method::GET, &format!("/stream/{uid}"), &[], &what)
            .await
            .map(|s| s.result)
    }

    /// Enables one download type of a video through `POST /stream/{uid}/downloads/{type}` and
    /// returns its state. Enabling an existing download returns its current state.
    ///
    /// # Errors
    /// [`Error::NotReady`] or [`Error::Api`] when the video cannot be downloaded yet, plus the
    /// errors of [`StreamClient::video`].
    pub async fn create_download(
        &self,
        uid: &str,
        download_type: DownloadType,
    ) -> Result<Download, Error> {
        check_uid(uid)?;
        let what = format!("video '{uid}'");
        let path = format!("/stream/{uid}/downloads/{download_type}");
        let success: Success<Downloads> = self.call(Method::POST, &path, &[], &what).await?;
        pick(success.result, download_type, &path)
    }

    /// Enables the default (MP4) download through the original `POST /stream/{uid}/downloads`
    /// and returns all downloads of the video.
    ///
    /// # Errors
    /// As [`StreamClient::create_download`].
    pub async fn create_downloads(&self, uid: &str) -> Result<Downloads, Error> {
        check_uid(uid)?;
        let what = format!("video '{uid}'");
        self.call(
            Method::POST,
            &format!("/stream/{uid}/downloads"),
            &[],
            &what,
        )
        .await
        .map(|s| s.result)
    }

    /// Fetches the state of every created download of a video.
    ///
    /// # Errors
    /// As [`StreamClient::video`].
    pub async fn downloads(&self, uid: &str) -> Result<Downloads, Error> {
        check_uid(uid)?;
        let what = format!("video '{uid}'");
        self.call(Method::GET, &format!("/stream/{uid}/downloads"), &[], &what)
            .await
            .map(|s| s.result)
    }

    /// Deletes one download type of a video, or the default download when `download_type` is `None`.
    ///
    /// # Errors
    /// As [`StreamClient::video`].
    pub async fn delete_download(
        &self,
        uid: &str,
        download_type: Option<DownloadType>,
    ) -> Result<(), Error> {
        check_uid(uid)?;
        let what = format!("downloads of video '{uid}'");
        let path = match download_type {
            Some(t) => format!("/stream/{uid}/downloads/{t}"),
            None => format!("/stream/{uid}/downloads"),
        };
        let _: Success<serde_json::Value> = self.call(Method::DELETE, &path, &[], &what).await?;
        Ok(())
    }

    /// Sends an authenticated `GET` to an endpoint that returns a raw body instead of the
    /// envelope, such as a caption's WebVTT, and returns that body. The body of a failure status
    /// is parsed as an envelope, like the responses of every other call.
    pub(crate) async fn get_raw(
        &self,
        path: &str,
        accept: &str,
        what: &str,
    ) -> Result<Vec<u8>, Error> {
        let url = format!(
            "{}/accounts/{}{}",
            self.config.api_base, self.config.account_id, path
        );
        let request_name = format!("GET {path}");
        debug!(request = %request_name, "calling the Stream API");

        let response = self
            .http
            .get(&url)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.config.api_token.expose()),
            )
            .header(ACCEPT, accept)
            .send()
            .await
            .map_err(|e| self.network_error(e))?;
        self.clock.observe(response.headers());
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.map_err(|e| self.network_error(e))?;

        if status.is_success() {
            return Ok(body.to_vec());
        }
        match parse_envelope::<serde_json::Value>(&request_name, status, retry_after, &body, what) {
            Err(error) => Err(error),
            // A failure status with a success envelope is still a failure.
            Ok(_) => Err(Error::from_api_failure(
                &request_name,
                status.as_u16(),
                Vec::new(),
                retry_after,
                what,
            )),
        }
    }

    /// Sends one API request under `/accounts/{account_id}` and parses the envelope.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<Success<T>, Error> {
        self.send(method, path, query, None, what, Sensitivity::Public)
            .await
    }

    /// Sends one API request with an optional JSON body and parses the envelope.
    pub(crate) async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
        sensitivity: Sensitivity,
    ) -> Result<Success<T>, Error> {
        self.send(method, path, &[], body, what, sensitivity).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        what: &str,
        sensitivity: Sensitivity,
    ) -> Result<Success<T>, Error> {
        let url = format!(
            "{}/accounts/{}{}",
            self.config.api_base, self.config.account_id, path
        );
        let request_name = format!("{method} {path}");
        debug!(request = %request_name, "calling the Stream API");

        let mut request = self
            .http
            .request(method, &url)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", self.config.api_token.expose()),
            )
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| self.network_error(e))?;
        self.clock.observe(response.headers());
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.map_err(|e| self.network_error(e))?;

        let parsed = parse_envelope(&request_name, status, retry_after, &body, what);
        match (parsed, sensitivity) {
            // The serde message can quote a value as well as the excerpt, so both go.
            (
                Err(Error::InvalidResponse {
                    request, status, ..
                }),
                Sensitivity::Secret,
            ) => Err(Error::InvalidResponse {
                request,
                status,
                detail:
                    "the result is not in the expected form (not quoted, because it holds secrets)"
                        .to_owned(),
                excerpt: String::new(),
            }),
            (parsed, _) => parsed,
        }
    }

    fn network_error(&self, error: reqwest::Error) -> Error {
        let detail = if error.is_timeout() {
            "the request timed out".to_owned()
        } else if error.is_connect() {
            "the connection failed".to_owned()
        } else {
            // The URL is dropped from the message, because a delivery URL may carry a signed token.
            error.without_url().to_string()
        };
        Error::Network {
            host: self.host.clone(),
            detail,
        }
    }
}

/// Classifies a response and extracts `result` as `T`.
fn parse_envelope<T: DeserializeOwned>(
    request: &str,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
    what: &str,
) -> Result<Success<T>, Error> {
    let code = status.as_u16();
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(parse_error) => {
            // Proxies and CDNs return HTML for some failures, so those are classified by status alone.
            if !status.is_success() {
                return Err(Error::from_api_failure(
                    request,
                    code,
                    Vec::new(),
                    retry_after,
                    what,
                ));
            }
            return Err(Error::InvalidResponse {
                request: request.to_owned(),
                status: code,
                detail: format!("the body is not the JSON envelope ({parse_error})"),
                excerpt: excerpt(body),
            });
        }
    };

    if !status.is_success() || envelope.success == Some(false) {
        let status_code = if status.is_success() { 400 } else { code };
        return Err(Error::from_api_failure(
            request,
            status_code,
            envelope.errors,
            retry_after,
            what,
        ));
    }

    let result = serde_json::from_value(envelope.result).map_err(|e| Error::InvalidResponse {
        request: request.to_owned(),
        status: code,
        detail: format!("unexpected `result` ({e})"),
        excerpt: excerpt(body),
    })?;
    Ok(Success {
        result,
        total: envelope.total,
        range: envelope.range,
    })
}

/// Reads the wait from `Retry-After` (seconds), or from the reset value `t` of the `Ratelimit`
/// header (`"default";r=0;t=30`) that Cloudflare sends since September 2025.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or_else(|| {
            let value = headers.get("ratelimit")?.to_str().ok()?;
            value
                .split(';')
                .find_map(|part| part.trim().strip_prefix("t=")?.parse::<u64>().ok())
        })?;
    Some(Duration::from_secs(seconds))
}

fn pick(
    downloads: Downloads,
    download_type: DownloadType,
    request: &str,
) -> Result<Download, Error> {
    let found = match download_type {
        DownloadType::Default => downloads.default,
        DownloadType::Audio => downloads.audio,
    };
    found.ok_or_else(|| Error::InvalidResponse {
        request: request.to_owned(),
        status: 200,
        detail: format!("the result has no '{download_type}' download"),
        excerpt: String::new(),
    })
}

fn is_path_safe(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Rejects uids that would change the request path, with a hint for the common mistakes.
pub(crate) fn check_uid(uid: &str) -> Result<(), Error> {
    const MAX_UID_LEN: usize = 64;
    if uid.starts_with("eyJ") && uid.matches('.').count() == 2 {
        return Err(Error::Config(
            "the video id looks like a signed token, not a uid: pass the 32-character video uid"
                .into(),
        ));
    }
    if uid.is_empty() || uid.len() > MAX_UID_LEN || !is_path_safe(uid) {
        let shown: String = uid.chars().take(MAX_UID_LEN).collect();
        return Err(Error::Config(format!(
            "'{shown}' is not a video uid: a uid is 32 letters and digits, as shown in the Stream dashboard"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> Result<Success<serde_json::Value>, Error> {
        parse_envelope(
            "GET /stream",
            StatusCode::from_u16(status).unwrap(),
            None,
            body.as_bytes(),
            "video 'a'",
        )
    }

    #[test]
    fn envelope_success_returns_result() {
        let ok = parse(
            200,
            r#"{"result":{"x":1},"success":true,"errors":[],"messages":[]}"#,
        )
        .unwrap();
        assert_eq!(ok.result["x"], 1);
    }

    #[test]
    fn envelope_reads_string_counters() {
        let ok = parse(
            200,
            r#"{"result":[],"success":true,"errors":[],"total":"35","range":"0"}"#,
        )
        .unwrap();
        assert_eq!(ok.total, Some(35));
        assert_eq!(ok.range, Some(0));
    }

    #[test]
    fn html_error_page_maps_by_status() {
        let err = parse(502, "<html>Bad gateway</html>").err().unwrap();
        assert!(matches!(err, Error::Server { status: 502, .. }));
    }

    #[test]
    fn html_success_is_invalid_response() {
        let err = parse(200, "<html>captive portal</html>").err().unwrap();
        assert!(matches!(err, Error::InvalidResponse { .. }));
        assert!(err.to_string().contains("captive portal"));
    }

    #[test]
    fn success_false_with_200_is_failure() {
        let err = parse(200, r#"{"result":null,"success":false,"errors":[{"code":10000,"message":"Authentication error"}]}"#)
            .err()
            .unwrap();
        assert!(matches!(err, Error::Auth { .. }));
    }

    #[test]
    fn retry_after_reads_header() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "17".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(17)));
    }

    #[test]
    fn retry_after_falls_back_to_ratelimit() {
        let mut headers = HeaderMap::new();
        headers.insert("ratelimit", "\"default\";r=0;t=42".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(42)));
    }

    #[test]
    fn uid_rejects_path_characters() {
        assert!(check_uid("../etc").is_err());
        assert!(check_uid("abc?x=1").is_err());
        assert!(check_uid("0123456789abcdef0123456789abcdef").is_ok());
    }

    #[test]
    fn uid_detects_signed_token() {
        let err = check_uid("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
            .err()
            .unwrap();
        assert!(err.to_string().contains("signed token"));
    }

    #[test]
    fn config_rejects_remote_plain_http() {
        let config = ClientConfig::new("acc", ApiToken::new("t"))
            .with_api_base("http://api.cloudflare.com/client/v4");
        let error = StreamClient::new(config).unwrap_err();
        assert!(error.to_string().contains("https://"), "{error}");
    }

    #[test]
    fn config_accepts_loopback_http() {
        for base in [
            "http://127.0.0.1:8080/client/v4",
            "http://localhost:1/client/v4",
            "http://[::1]:2/client/v4",
        ] {
            let config = ClientConfig::new("acc", ApiToken::new("t")).with_api_base(base);
            assert!(StreamClient::new(config).is_ok(), "{base} is accepted");
        }
    }

    #[test]
    fn config_rejects_bad_base() {
        let config = ClientConfig::new("acc", ApiToken::new("t")).with_api_base("ftp://x");
        assert!(matches!(StreamClient::new(config), Err(Error::Config(_))));
    }
}
