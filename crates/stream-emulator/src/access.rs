//! Access rules carried in a signed token (`accessRules`): parsing, validation and first-match
//! evaluation against the peer address of a delivery request.
//!
//! Rule types are `any`, `ip.src` (addresses or CIDR ranges, IPv4 or IPv6) and
//! `ip.geoip.country` (ISO 3166-1 alpha-2 codes). The emulator only listens on loopback, where
//! no address has a country, so a country rule never matches.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Maximum number of rules one token may carry, as the real service documents.
pub(crate) const MAX_ACCESS_RULES: usize = 5;

/// Kind of test a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RuleType {
    #[serde(rename = "any")]
    Any,
    #[serde(rename = "ip.src")]
    IpSrc,
    #[serde(rename = "ip.geoip.country")]
    Country,
}

/// Decision of a matching rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RuleAction {
    Allow,
    Block,
}

/// One entry of `accessRules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AccessRule {
    #[serde(rename = "type")]
    pub kind: RuleType,
    pub action: RuleAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<Vec<String>>,
}

/// Checks the rule count and the values each rule type needs.
///
/// # Errors
/// Returns a message naming the first invalid rule (1-based) and what to send instead.
pub(crate) fn validate(rules: &[AccessRule]) -> Result<(), String> {
    if rules.len() > MAX_ACCESS_RULES {
        return Err(format!(
            "accessRules has {} rules: use at most {MAX_ACCESS_RULES}",
            rules.len()
        ));
    }

    for (index, rule) in rules.iter().enumerate() {
        let number = index + 1;
        match rule.kind {
            RuleType::Any => {}
            RuleType::IpSrc => {
                let ips = rule.ip.as_deref().unwrap_or_default();
                if ips.is_empty() {
                    return Err(format!(
                        "accessRules rule {number} (ip.src) has no ip list: add addresses or CIDR ranges"
                    ));
                }
                if let Some(bad) = ips.iter().find(|ip| parse_cidr(ip).is_none()) {
                    return Err(format!(
                        "accessRules rule {number} has an invalid ip entry {bad:?}: use an IPv4 or IPv6 address or CIDR range"
                    ));
                }
            }
            RuleType::Country => {
                let countries = rule.country.as_deref().unwrap_or_default();
                if countries.is_empty() {
                    return Err(format!(
                        "accessRules rule {number} (ip.geoip.country) has no country list: add ISO 3166-1 alpha-2 codes"
                    ));
                }
                if let Some(bad) = countries.iter().find(|code| !is_country_code(code)) {
                    return Err(format!(
                        "accessRules rule {number} has an invalid country {bad:?}: use two-letter ISO 3166-1 codes such as \"US\""
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Returns the action of the first rule that matches `peer`, or `None` when no rule matches
/// (the request is then allowed).
pub(crate) fn evaluate(rules: &[AccessRule], peer: IpAddr) -> Option<RuleAction> {
    let peer = peer.to_canonical();
    rules
        .iter()
        .find(|rule| matches(rule, peer))
        .map(|rule| rule.action)
}

fn matches(rule: &AccessRule, peer: IpAddr) -> bool {
    match rule.kind {
        RuleType::Any => true,
        RuleType::IpSrc => rule
            .ip
            .iter()
            .flatten()
            .filter_map(|entry| parse_cidr(entry))
            .any(|(network, prefix)| cidr_contains(network, prefix, peer)),
        // GeoIP has no country for loopback addresses, the only peers the emulator serves.
        RuleType::Country => false,
    }
}

fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Parses `ADDRESS` or `ADDRESS/PREFIX`; a bare address is a single-host range.
fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let text = text.trim();
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let address: IpAddr = address.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= max)?,
        None => max,
    };
    // An IPv4-mapped range (`::ffff:a.b.c.d/n`) is compared as IPv4, like canonical peers.
    match address.to_canonical() {
        IpAddr::V4(v4) if address.is_ipv6() && prefix >= 96 => Some((IpAddr::V4(v4), prefix - 96)),
        IpAddr::V4(_) if address.is_ipv6() => Some((address, prefix)),
        canonical => Some((canonical, prefix)),
    }
}

fn cidr_contains(network: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (network, ip) {
        (IpAddr::V4(network), IpAddr::V4(ip)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(network) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(network), IpAddr::V6(ip)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(network) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: RuleType, action: RuleAction, ip: &[&str], country: &[&str]) -> AccessRule {
        let list = |items: &[&str]| {
            (!items.is_empty()).then(|| items.iter().map(|s| (*s).to_owned()).collect())
        };
        AccessRule {
            kind,
            action,
            ip: list(ip),
            country: list(country),
        }
    }

    fn loopback() -> IpAddr {
        "127.0.0.1".parse().unwrap()
    }

    #[test]
    fn cidr_table() {
        let cases = [
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.0/8", "127.9.9.9", true),
            ("10.0.0.0/8", "127.0.0.1", false),
            ("0.0.0.0/0", "203.0.113.7", true),
            ("::1", "::1", true),
            ("::/0", "127.0.0.1", false),
            ("2001:db8::/32", "2001:db8::5", true),
            ("::ffff:127.0.0.1", "127.0.0.1", true),
            ("::ffff:127.0.0.0/104", "127.1.2.3", true),
        ];

        for (range, ip, expected) in cases {
            let (network, prefix) = parse_cidr(range).unwrap();
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(
                cidr_contains(network, prefix, ip.to_canonical()),
                expected,
                "{range} contains {ip}"
            );
        }
    }

    #[test]
    fn parse_cidr_rejects_bad_input() {
        for text in ["", "localhost", "127.0.0.1/33", "::1/129", "1.2.3.4/x"] {
            assert_eq!(parse_cidr(text), None, "{text:?}");
        }
    }

    #[test]
    fn evaluate_first_match_wins() {
        let rules = [
            rule(RuleType::IpSrc, RuleAction::Allow, &["127.0.0.0/8"], &[]),
            rule(RuleType::Any, RuleAction::Block, &[], &[]),
        ];

        assert_eq!(evaluate(&rules, loopback()), Some(RuleAction::Allow));
    }

    #[test]
    fn evaluate_country_never_matches() {
        let rules = [rule(RuleType::Country, RuleAction::Block, &[], &["US"])];

        assert_eq!(evaluate(&rules, loopback()), None);
    }

    #[test]
    fn evaluate_no_rules_allows() {
        assert_eq!(evaluate(&[], loopback()), None);
    }

    #[test]
    fn validate_rejects_bad_rules() {
        let six = vec![rule(RuleType::Any, RuleAction::Allow, &[], &[]); 6];
        let cases = [
            six,
            vec![rule(RuleType::IpSrc, RuleAction::Block, &[], &[])],
            vec![rule(RuleType::IpSrc, RuleAction::Block, &["nope"], &[])],
            vec![rule(RuleType::Country, RuleAction::Block, &[], &[])],
            vec![rule(RuleType::Country, RuleAction::Block, &[], &["USA"])],
        ];

        for rules in cases {
            assert!(validate(&rules).is_err(), "{rules:?}");
        }
    }

    #[test]
    fn validate_accepts_documented_shapes() {
        let rules = [
            rule(RuleType::Country, RuleAction::Allow, &[], &["US", "mx"]),
            rule(
                RuleType::IpSrc,
                RuleAction::Allow,
                &["93.184.216.0/24", "2001:db8::/32"],
                &[],
            ),
            rule(RuleType::Any, RuleAction::Block, &[], &[]),
        ];

        assert_eq!(validate(&rules), Ok(()));
    }
}
