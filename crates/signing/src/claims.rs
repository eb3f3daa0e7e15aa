//! The claims of a token for one video, its access rules, and the checks that keep both within
//! what Stream accepts.
//!
//! Stream reads `sub` (the video uid), `kid` (the signing key id), `exp` and `nbf` (Unix
//! seconds), `downloadable` (required for MP4 and M4A downloads) and `accessRules`. At most
//! five rules apply per token; they are evaluated first to last, the first match decides, and a
//! token that matches none is valid.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::{excerpt, RuleError, SignError};
use crate::times::{TokenTimes, MAX_TOKEN_SPAN_SECONDS, MILLISECONDS_THRESHOLD};

/// Maximum number of access rules that Stream applies to one token.
pub const MAX_ACCESS_RULES: usize = 5;

/// Maximum length of `sub`. Stream uids are 32 hexadecimal characters.
const MAX_SUBJECT_LEN: usize = 64;

/// Claims of a token for one video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// The video uid.
    pub sub: String,
    /// The signing key id. Must be the id of the key that signs.
    pub kid: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Start of validity, Unix seconds.
    pub nbf: i64,
    /// Allows the token to fetch MP4 and M4A downloads; without it Stream rejects them.
    pub downloadable: bool,
    /// Restrictions by IP or country, at most [`MAX_ACCESS_RULES`].
    pub access_rules: Vec<AccessRule>,
}

impl TokenClaims {
    /// Returns the claims for downloading one video: `downloadable` set, no access rules.
    pub fn download(uid: &str, key_id: &str, times: TokenTimes) -> TokenClaims {
        TokenClaims {
            sub: uid.to_owned(),
            kid: key_id.to_owned(),
            exp: times.exp,
            nbf: times.nbf,
            downloadable: true,
            access_rules: Vec::new(),
        }
    }

    /// Checks the claims against what Stream accepts, for a token signed by `key_id`.
    pub(crate) fn check(&self, key_id: &str) -> Result<(), SignError> {
        let subject_ok = (1..=MAX_SUBJECT_LEN).contains(&self.sub.len())
            && self
                .sub
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !subject_ok {
            return Err(SignError::InvalidSubject);
        }

        if !self.kid.trim().eq_ignore_ascii_case(key_id) {
            return Err(SignError::KidMismatch {
                claims_kid: excerpt(&self.kid),
                key_id: key_id.to_owned(),
            });
        }

        for (claim, value) in [("nbf", self.nbf), ("exp", self.exp)] {
            if value > MILLISECONDS_THRESHOLD {
                return Err(SignError::Milliseconds { claim, value });
            }
            if value <= 0 {
                return Err(SignError::InvalidTime { claim, value });
            }
        }

        if self.exp <= self.nbf {
            return Err(SignError::ExpiryNotAfterStart {
                nbf: self.nbf,
                exp: self.exp,
            });
        }
        let span = self.exp - self.nbf;
        if span > MAX_TOKEN_SPAN_SECONDS {
            return Err(SignError::LifetimeTooLong { seconds: span });
        }

        validate_rules(&self.access_rules)?;
        Ok(())
    }
}

/// The claims as they go on the wire. `kid` comes from the signing key, so its case always
/// matches the header.
#[derive(Serialize)]
pub(crate) struct WireClaims<'a> {
    sub: &'a str,
    kid: &'a str,
    exp: i64,
    nbf: i64,
    #[serde(skip_serializing_if = "is_false")]
    downloadable: bool,
    #[serde(rename = "accessRules", skip_serializing_if = "has_no_rules")]
    access_rules: &'a [AccessRule],
}

impl<'a> WireClaims<'a> {
    pub(crate) fn new(claims: &'a TokenClaims, key_id: &'a str) -> WireClaims<'a> {
        WireClaims {
            sub: &claims.sub,
            kid: key_id,
            exp: claims.exp,
            nbf: claims.nbf,
            downloadable: claims.downloadable,
            access_rules: &claims.access_rules,
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn has_no_rules(rules: &&[AccessRule]) -> bool {
    rules.is_empty()
}

/// One access rule, serialised with Stream's names: `{"type", "action", "country", "ip"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    /// The condition the rule matches on.
    #[serde(rename = "type")]
    pub rule_type: AccessRuleType,
    /// The outcome of a match.
    pub action: AccessAction,
    /// ISO 3166-1 alpha-2 codes, for [`AccessRuleType::IpCountry`] only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub country: Vec<String>,
    /// IPv4 or IPv6 addresses or CIDR ranges, for [`AccessRuleType::IpSource`] only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip: Vec<String>,
}

/// The condition an access rule matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessRuleType {
    /// Every request.
    #[serde(rename = "any")]
    Any,
    /// The client's IP address, against the rule's `ip` list.
    #[serde(rename = "ip.src")]
    IpSource,
    /// The country of the client's IP address, against the rule's `country` list.
    #[serde(rename = "ip.geoip.country")]
    IpCountry,
}

impl AccessRuleType {
    /// Returns the name Stream uses, such as `ip.src`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::IpSource => "ip.src",
            Self::IpCountry => "ip.geoip.country",
        }
    }
}

/// The outcome of a matching access rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessAction {
    /// Serve the request.
    Allow,
    /// Refuse the request.
    Block,
}

impl AccessRule {
    /// Returns a rule that matches every request.
    pub fn any(action: AccessAction) -> AccessRule {
        AccessRule {
            rule_type: AccessRuleType::Any,
            action,
            country: Vec::new(),
            ip: Vec::new(),
        }
    }

    /// Returns a rule that matches clients in the given countries (ISO 3166-1 alpha-2 codes).
    pub fn countries<S: Into<String>>(
        action: AccessAction,
        codes: impl IntoIterator<Item = S>,
    ) -> AccessRule {
        AccessRule {
            rule_type: AccessRuleType::IpCountry,
            action,
            country: codes.into_iter().map(Into::into).collect(),
            ip: Vec::new(),
        }
    }

    /// Returns a rule that matches clients whose address is one of, or inside one of, `ranges`.
    pub fn ips<S: Into<String>>(
        action: AccessAction,
        ranges: impl IntoIterator<Item = S>,
    ) -> AccessRule {
        AccessRule {
            rule_type: AccessRuleType::IpSource,
            action,
            country: Vec::new(),
            ip: ranges.into_iter().map(Into::into).collect(),
        }
    }

    /// Checks that the rule has the list its type needs, no other list, and well-formed
    /// entries. Errors name the rule as number 1; [`validate_rules`] numbers a whole list.
    ///
    /// # Errors
    ///
    /// A [`RuleError`] naming the missing list, the unexpected list or the malformed entry.
    pub fn validate(&self) -> Result<(), RuleError> {
        self.validate_at(1)
    }

    fn validate_at(&self, rule: usize) -> Result<(), RuleError> {
        let rule_type = self.rule_type.as_str();
        let unexpected = |list| RuleError::UnexpectedList {
            rule,
            rule_type,
            list,
        };

        match self.rule_type {
            AccessRuleType::Any => {
                if !self.country.is_empty() {
                    return Err(unexpected("country"));
                }
                if !self.ip.is_empty() {
                    return Err(unexpected("ip"));
                }
            }
            AccessRuleType::IpCountry => {
                if !self.ip.is_empty() {
                    return Err(unexpected("ip"));
                }
                if self.country.is_empty() {
                    return Err(RuleError::MissingCountry { rule });
                }
                if let Some(code) = self.country.iter().find(|code| !is_country_code(code)) {
                    return Err(RuleError::InvalidCountry {
                        rule,
                        value: excerpt(code),
                    });
                }
            }
            AccessRuleType::IpSource => {
                if !self.country.is_empty() {
                    return Err(unexpected("country"));
                }
                if self.ip.is_empty() {
                    return Err(RuleError::MissingIp { rule });
                }
                if let Some(text) = self.ip.iter().find(|text| !is_ip_or_cidr(text)) {
                    return Err(RuleError::InvalidIp {
                        rule,
                        value: excerpt(text),
                    });
                }
            }
        }

        Ok(())
    }
}

/// Checks a token's access rules: at most [`MAX_ACCESS_RULES`], each valid on its own.
///
/// # Errors
///
/// [`RuleError::TooMany`], or the first rule's error, numbered from 1.
pub fn validate_rules(rules: &[AccessRule]) -> Result<(), RuleError> {
    if rules.len() > MAX_ACCESS_RULES {
        return Err(RuleError::TooMany { count: rules.len() });
    }
    for (index, rule) in rules.iter().enumerate() {
        rule.validate_at(index + 1)?;
    }
    Ok(())
}

/// Returns true for two uppercase ASCII letters. Whether the code is assigned is not checked.
fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Returns true for an IPv4 or IPv6 address, optionally followed by `/prefix` within the
/// address family's width. Host bits after the prefix are allowed.
fn is_ip_or_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return text.parse::<IpAddr>().is_ok();
    };

    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let max_prefix = if address.is_ipv4() { 32 } else { 128 };
    prefix
        .parse::<u32>()
        .is_ok_and(|length| length <= max_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "0123456789abcdef0123456789abcdef";
    const UID: &str = "ea95132c15732412d22c1476fa83f27a";

    fn claims() -> TokenClaims {
        TokenClaims::download(
            UID,
            KEY_ID,
            TokenTimes {
                nbf: 1_700_000_000,
                exp: 1_700_003_600,
            },
        )
    }

    #[test]
    fn download_claims_downloadable() {
        assert!(claims().downloadable);
    }

    #[test]
    fn check_accepts_download_claims() {
        assert_eq!(claims().check(KEY_ID), Ok(()));
    }

    #[test]
    fn check_accepts_uppercase_kid() {
        let mut claims = claims();
        claims.kid = KEY_ID.to_ascii_uppercase();
        assert_eq!(claims.check(KEY_ID), Ok(()));
    }

    #[test]
    fn check_rejects_bad_subjects() {
        let long = "a".repeat(MAX_SUBJECT_LEN + 1);
        for sub in ["", "https://example.com/x", "a.b.c", " abc", long.as_str()] {
            let mut claims = claims();
            claims.sub = sub.to_owned();
            assert_eq!(
                claims.check(KEY_ID),
                Err(SignError::InvalidSubject),
                "sub {sub:?}"
            );
        }
    }

    #[test]
    fn check_rejects_other_kid() {
        let mut claims = claims();
        claims.kid = "ffffffffffffffffffffffffffffffff".to_owned();
        assert_eq!(claims.check(KEY_ID).unwrap_err().code(), "kid_mismatch");
    }

    #[test]
    fn check_rejects_millisecond_exp() {
        let mut claims = claims();
        claims.exp = 1_700_003_600_000;
        assert_eq!(
            claims.check(KEY_ID),
            Err(SignError::Milliseconds {
                claim: "exp",
                value: 1_700_003_600_000
            })
        );
    }

    #[test]
    fn check_rejects_millisecond_nbf() {
        let mut claims = claims();
        claims.nbf = 1_700_000_000_000;
        assert_eq!(claims.check(KEY_ID).unwrap_err().code(), "milliseconds");
    }

    #[test]
    fn check_rejects_zero_nbf() {
        let mut claims = claims();
        claims.nbf = 0;
        assert_eq!(claims.check(KEY_ID).unwrap_err().code(), "invalid_time");
    }

    #[test]
    fn check_rejects_exp_equal_nbf() {
        let mut claims = claims();
        claims.exp = claims.nbf;
        assert_eq!(
            claims.check(KEY_ID).unwrap_err().code(),
            "exp_not_after_nbf"
        );
    }

    #[test]
    fn check_rejects_span_over_day() {
        let mut claims = claims();
        claims.exp = claims.nbf + MAX_TOKEN_SPAN_SECONDS + 1;
        assert_eq!(
            claims.check(KEY_ID).unwrap_err().code(),
            "lifetime_too_long"
        );
    }

    #[test]
    fn check_accepts_span_of_day() {
        let mut claims = claims();
        claims.exp = claims.nbf + MAX_TOKEN_SPAN_SECONDS;
        assert_eq!(claims.check(KEY_ID), Ok(()));
    }

    #[test]
    fn check_rejects_bad_rule() {
        let mut claims = claims();
        claims.access_rules = vec![AccessRule::countries(AccessAction::Allow, ["us"])];
        assert_eq!(
            claims.check(KEY_ID).unwrap_err().code(),
            "invalid_access_rule"
        );
    }

    #[test]
    fn rule_serialises_like_stream() {
        let rule = AccessRule::countries(AccessAction::Block, ["US", "DE"]);
        assert_eq!(
            serde_json::to_value(&rule).unwrap(),
            serde_json::json!({"type": "ip.geoip.country", "action": "block", "country": ["US", "DE"]})
        );
    }

    #[test]
    fn rule_parses_stream_json() {
        let json = r#"{"type": "ip.src", "action": "allow", "ip": ["192.0.2.0/24"]}"#;
        let rule: AccessRule = serde_json::from_str(json).unwrap();
        assert_eq!(rule, AccessRule::ips(AccessAction::Allow, ["192.0.2.0/24"]));
    }

    #[test]
    fn rule_rejects_unknown_type() {
        let json = r#"{"type": "ip.dst", "action": "allow"}"#;
        assert!(serde_json::from_str::<AccessRule>(json).is_err());
    }

    #[test]
    fn rule_rejects_unknown_action() {
        let json = r#"{"type": "any", "action": "deny"}"#;
        assert!(serde_json::from_str::<AccessRule>(json).is_err());
    }

    #[test]
    fn valid_rules_accepted() {
        let rules = [
            AccessRule::any(AccessAction::Block),
            AccessRule::countries(AccessAction::Allow, ["US", "GB"]),
            AccessRule::ips(
                AccessAction::Allow,
                [
                    "192.0.2.7",
                    "192.0.2.0/24",
                    "2001:db8::1",
                    "2001:db8::/32",
                    "0.0.0.0/0",
                ],
            ),
        ];
        assert_eq!(validate_rules(&rules), Ok(()));
    }

    #[test]
    fn six_rules_rejected() {
        let rules = vec![AccessRule::any(AccessAction::Allow); MAX_ACCESS_RULES + 1];
        assert_eq!(validate_rules(&rules), Err(RuleError::TooMany { count: 6 }));
    }

    #[test]
    fn five_rules_accepted() {
        let rules = vec![AccessRule::any(AccessAction::Allow); MAX_ACCESS_RULES];
        assert_eq!(validate_rules(&rules), Ok(()));
    }

    #[test]
    fn bad_country_codes() {
        for code in ["us", "USA", "U", "", "U1", "ÜS"] {
            let rule = AccessRule::countries(AccessAction::Allow, [code]);
            assert_eq!(
                rule.validate().unwrap_err().code(),
                "invalid_country",
                "code {code:?}"
            );
        }
    }

    #[test]
    fn bad_ip_texts() {
        for text in [
            "",
            "192.0.2",
            "192.0.2.256",
            "192.0.2.0/33",
            "2001:db8::/129",
            "192.0.2.0/",
            "192.0.2.0/+8",
            "192.0.2.0/-1",
            "example.com",
            " 192.0.2.1",
        ] {
            let rule = AccessRule::ips(AccessAction::Block, [text]);
            assert_eq!(
                rule.validate().unwrap_err().code(),
                "invalid_ip",
                "text {text:?}"
            );
        }
    }

    #[test]
    fn missing_lists() {
        let countries = AccessRule::countries(AccessAction::Allow, Vec::<String>::new());
        assert_eq!(
            countries.validate(),
            Err(RuleError::MissingCountry { rule: 1 })
        );
        let ips = AccessRule::ips(AccessAction::Allow, Vec::<String>::new());
        assert_eq!(ips.validate(), Err(RuleError::MissingIp { rule: 1 }));
    }

    #[test]
    fn unexpected_list_on_any() {
        let mut rule = AccessRule::any(AccessAction::Allow);
        rule.ip.push("192.0.2.1".to_owned());
        assert_eq!(rule.validate().unwrap_err().code(), "unexpected_list");
    }

    #[test]
    fn error_numbers_rule_position() {
        let rules = [
            AccessRule::any(AccessAction::Allow),
            AccessRule::ips(AccessAction::Allow, ["nope"]),
        ];
        assert_eq!(
            validate_rules(&rules),
            Err(RuleError::InvalidIp {
                rule: 2,
                value: "\"nope\"".to_owned()
            })
        );
    }
}
