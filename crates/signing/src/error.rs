//! The errors of this crate: one enum per job (reading a key, checking access rules, signing,
//! reading a token), each with a stable [`code`](KeyError::code) for the UI to branch on.
//!
//! No message contains key material or token text. Values that are echoed (PEM labels, `kty`,
//! `alg`, key ids, country codes, IP text) are public and pass through [`excerpt`] first, so
//! that a secret pasted into the wrong field is never repeated whole.

use thiserror::Error;

/// A failure to read, store or generate a [`SigningKey`](crate::SigningKey).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The material is empty or white space only.
    #[error(
        "The signing key is empty. Paste the `pem` or `jwk` value that Stream returned when the \
         key was created."
    )]
    Empty,

    /// The material is neither PEM, JWK JSON nor base64.
    #[error(
        "The signing key is not PEM, JWK or base64 text. Paste the `pem` or `jwk` value exactly \
         as Stream returned it, or a PEM key that starts with -----BEGIN RSA PRIVATE KEY-----."
    )]
    Unrecognized,

    /// The material is base64, but the decoded bytes are neither PEM nor JWK text.
    #[error(
        "The signing key is base64, but it decodes to neither PEM nor JWK text. Paste the `pem` \
         or `jwk` value of the key exactly as Stream returned it, not the key id or an API token."
    )]
    DecodedUnrecognized,

    /// The material is a signed token (a JWT), not a key.
    #[error(
        "The text is a signed token (a JWT), not a signing key. Paste the `pem` or `jwk` value \
         of the signing key instead."
    )]
    TokenNotKey,

    /// The PEM block is a public key or a certificate.
    #[error(
        "The PEM block is a {label}, not a private key. Signing needs the private key: paste \
         the `pem` value that Stream returned when the key was created."
    )]
    NotPrivateKey {
        /// The PEM label, such as `PUBLIC KEY` or `CERTIFICATE`.
        label: String,
    },

    /// The private key is protected by a passphrase.
    #[error(
        "The private key is encrypted with a passphrase, and Stream's signing keys are not. \
         Paste the `pem` value as Stream returned it, or decrypt the key first (for example \
         with `openssl pkey -in key.pem -out plain.pem`)."
    )]
    Encrypted,

    /// The PEM label names a key this crate cannot use, such as `EC PRIVATE KEY`.
    #[error(
        "The PEM block is labelled {label}, which is not an RSA private key. Use a block that \
         starts with -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----."
    )]
    UnsupportedPem {
        /// The PEM label.
        label: String,
    },

    /// The PEM text is broken: no end line, bad base64 or bad DER inside.
    #[error(
        "The PEM private key is invalid ({reason}). Copy the whole block again, from the \
         -----BEGIN line to the -----END line."
    )]
    InvalidPem {
        /// A description of the fault, without any of the key's bytes.
        reason: String,
    },

    /// The key is of another type, such as an EC key.
    #[error(
        "The key is {kind}, not an RSA key. Stream signs tokens with RS256, so use the RSA \
         signing key that Stream created."
    )]
    NotRsa {
        /// The kind found, such as `an EC key` or `a JWK of kty "oct"`.
        kind: String,
    },

    /// The JWK has no private exponent `d`.
    #[error(
        "The JWK has no private exponent `d`, so it is a public key. Paste the `jwk` value that \
         Stream returned when the key was created, which contains the private key."
    )]
    PublicJwk,

    /// The JWK names an algorithm other than RS256.
    #[error(
        "The JWK is for the algorithm {alg}, but Stream tokens use RS256. Paste the key that \
         Stream created, whose `alg` is RS256."
    )]
    WrongAlgorithm {
        /// The JWK's `alg`.
        alg: String,
    },

    /// The JWK is malformed: bad JSON, a missing member or bad base64url.
    #[error("The JWK is invalid: {reason}. Paste the `jwk` value exactly as Stream returned it.")]
    InvalidJwk {
        /// A description of the fault, without any of the key's values.
        reason: String,
    },

    /// The id given and the JWK's `kid` differ.
    #[error(
        "The key id {id} differs from the JWK's kid {kid}. Enter the id of this key, or leave \
         the id empty to use the kid."
    )]
    KidMismatch {
        /// The id given.
        id: String,
        /// The JWK's `kid`.
        kid: String,
    },

    /// No id was given and the material has no `kid`.
    #[error(
        "The signing key has no id. Enter the key's id (32 hexadecimal characters), which Stream \
         returned with the key and lists among the account's signing keys."
    )]
    MissingId,

    /// The id is not 32 hexadecimal characters.
    #[error(
        "The key id {id} is not 32 hexadecimal characters. Enter the `id` that Stream \
         returned with the key."
    )]
    InvalidId {
        /// The id in quotes, or only its length when it is long enough to be pasted key material.
        id: String,
    },

    /// The RSA modulus has fewer than 2048 bits.
    #[error(
        "The RSA key has {bits} bits, but at least 2048 are required. Create a new signing key \
         in Stream and use that."
    )]
    KeyTooShort {
        /// The modulus size in bits.
        bits: usize,
    },

    /// The key's numbers do not form a valid RSA key.
    #[error(
        "The RSA key is invalid ({reason}). Paste the key again as Stream returned it, or create \
         a new signing key."
    )]
    InvalidKey {
        /// The `rsa` crate's description, which contains no key bytes.
        reason: String,
    },

    /// The keychain entry is not the JSON that [`SigningKey::to_stored`](crate::SigningKey::to_stored) writes.
    #[error("The stored signing key is unreadable ({reason}). Enter the signing key again.")]
    InvalidStored {
        /// A description of the fault, without any of the entry's text.
        reason: String,
    },

    /// Key generation or encoding failed inside the `rsa` crate or the OS random source.
    #[error("Generating or encoding the RSA key failed ({reason}). Try again.")]
    Generate {
        /// The library's description.
        reason: String,
    },
}

impl KeyError {
    /// Returns a stable snake_case code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_material",
            Self::Unrecognized => "unrecognized_format",
            Self::DecodedUnrecognized => "decoded_unrecognized",
            Self::TokenNotKey => "token_not_key",
            Self::NotPrivateKey { .. } => "not_private_key",
            Self::Encrypted => "encrypted_key",
            Self::UnsupportedPem { .. } => "unsupported_pem",
            Self::InvalidPem { .. } => "invalid_pem",
            Self::NotRsa { .. } => "not_rsa",
            Self::PublicJwk => "public_jwk",
            Self::WrongAlgorithm { .. } => "wrong_algorithm",
            Self::InvalidJwk { .. } => "invalid_jwk",
            Self::KidMismatch { .. } => "kid_mismatch",
            Self::MissingId => "missing_id",
            Self::InvalidId { .. } => "invalid_id",
            Self::KeyTooShort { .. } => "key_too_short",
            Self::InvalidKey { .. } => "invalid_key",
            Self::InvalidStored { .. } => "invalid_stored",
            Self::Generate { .. } => "generate_failed",
        }
    }
}

/// An access rule that Stream would reject. Rules are numbered from 1 in messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RuleError {
    /// More than [`MAX_ACCESS_RULES`](crate::MAX_ACCESS_RULES) rules.
    #[error(
        "The token has {count} access rules, but Stream allows at most 5. Merge or remove rules."
    )]
    TooMany {
        /// The number of rules given.
        count: usize,
    },

    /// An `ip.geoip.country` rule without countries.
    #[error(
        "Access rule {rule} has the type ip.geoip.country but no country list. Add ISO 3166-1 \
         alpha-2 codes such as US or DE."
    )]
    MissingCountry {
        /// The rule's position, from 1.
        rule: usize,
    },

    /// A country code that is not two uppercase ASCII letters.
    #[error(
        "Access rule {rule} has the country code \"{value}\", which is not two uppercase letters. \
         Use ISO 3166-1 alpha-2 codes such as US or DE."
    )]
    InvalidCountry {
        /// The rule's position, from 1.
        rule: usize,
        /// The code given.
        value: String,
    },

    /// An `ip.src` rule without addresses.
    #[error(
        "Access rule {rule} has the type ip.src but no ip list. Add IPv4 or IPv6 addresses or \
         CIDR ranges such as 192.0.2.0/24."
    )]
    MissingIp {
        /// The rule's position, from 1.
        rule: usize,
    },

    /// Text that is neither an IP address nor a CIDR range.
    #[error(
        "Access rule {rule} has \"{value}\", which is not an IP address or CIDR range. Use forms \
         such as 192.0.2.7, 192.0.2.0/24 or 2001:db8::/32."
    )]
    InvalidIp {
        /// The rule's position, from 1.
        rule: usize,
        /// The text given.
        value: String,
    },

    /// A list that the rule's type does not use, such as countries on an `ip.src` rule.
    #[error(
        "Access rule {rule} has the type {rule_type} but also a {list} list, which that type \
         does not use. Remove the list or change the type."
    )]
    UnexpectedList {
        /// The rule's position, from 1.
        rule: usize,
        /// The rule's type as Stream spells it.
        rule_type: &'static str,
        /// `country` or `ip`.
        list: &'static str,
    },
}

impl RuleError {
    /// Returns a stable snake_case code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooMany { .. } => "too_many_rules",
            Self::MissingCountry { .. } => "missing_country",
            Self::InvalidCountry { .. } => "invalid_country",
            Self::MissingIp { .. } => "missing_ip",
            Self::InvalidIp { .. } => "invalid_ip",
            Self::UnexpectedList { .. } => "unexpected_list",
        }
    }
}

/// Claims that Stream would reject, or a failure inside the JWT library.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignError {
    /// `sub` is empty or is not uid-shaped. The value is not echoed, because a pasted token or
    /// URL may sit there.
    #[error(
        "The token's sub is not a video uid. Set sub to the uid of the video (32 hexadecimal \
         characters), not a URL or a token."
    )]
    InvalidSubject,

    /// The claims' `kid` is not the signing key's id.
    #[error(
        "The token's kid {claims_kid} differs from the signing key's id {key_id}. Set kid to the \
         id of the key that signs."
    )]
    KidMismatch {
        /// The `kid` in the claims.
        claims_kid: String,
        /// The id of the signing key.
        key_id: String,
    },

    /// `exp` or `nbf` is above 10^11, so it is almost surely milliseconds.
    #[error(
        "The token's {claim} is {value}, which looks like milliseconds. Stream expects Unix \
         seconds: divide by 1000, or use token_times."
    )]
    Milliseconds {
        /// `exp` or `nbf`.
        claim: &'static str,
        /// The value given.
        value: i64,
    },

    /// `exp` or `nbf` is zero or negative.
    #[error("The token's {claim} is {value}, which is not a Unix time in seconds.")]
    InvalidTime {
        /// `exp` or `nbf`.
        claim: &'static str,
        /// The value given.
        value: i64,
    },

    /// `exp` is not after `nbf`.
    #[error(
        "The token expires (exp {exp}) no later than it becomes valid (nbf {nbf}). Make exp \
         later than nbf, for example with token_times."
    )]
    ExpiryNotAfterStart {
        /// The `nbf` given.
        nbf: i64,
        /// The `exp` given.
        exp: i64,
    },

    /// `exp - nbf` is above 24 hours.
    #[error(
        "The token is valid for {seconds} seconds from nbf to exp, but Stream rejects tokens \
         that expire more than 24 hours ahead. Shorten the lifetime, for example with \
         token_times."
    )]
    LifetimeTooLong {
        /// `exp - nbf`.
        seconds: i64,
    },

    /// An access rule that Stream would reject.
    #[error(transparent)]
    AccessRule(#[from] RuleError),

    /// The JWT library failed to sign.
    #[error(
        "Signing the token failed ({reason}). Enter the signing key again, and if this repeats, \
         create a new key in Stream."
    )]
    Encode {
        /// The library's description, which contains no key bytes.
        reason: String,
    },
}

impl SignError {
    /// Returns a stable snake_case code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidSubject => "invalid_sub",
            Self::KidMismatch { .. } => "kid_mismatch",
            Self::Milliseconds { .. } => "milliseconds",
            Self::InvalidTime { .. } => "invalid_time",
            Self::ExpiryNotAfterStart { .. } => "exp_not_after_nbf",
            Self::LifetimeTooLong { .. } => "lifetime_too_long",
            Self::AccessRule(_) => "invalid_access_rule",
            Self::Encode { .. } => "sign_failed",
        }
    }
}

/// A token whose claims cannot be read. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The text does not have three dot-separated parts.
    #[error(
        "The text is not a signed token: a JWT has three base64url parts separated by dots. \
         Copy the whole token that the token API returned."
    )]
    NotAToken,

    /// A part is not base64url.
    #[error("The token's {part} is not valid base64url. Copy the whole token again.")]
    InvalidEncoding {
        /// `header` or `payload`.
        part: &'static str,
    },

    /// A part decodes to something other than a JSON object.
    #[error("The token's {part} is not a JSON object. Copy the whole token again.")]
    InvalidJson {
        /// `header` or `payload`.
        part: &'static str,
    },

    /// A claim has the wrong JSON type.
    #[error("The token's {claim} claim is not {expected}.")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// The expected type, such as `a whole number or a numeric string`.
        expected: &'static str,
    },

    /// `exp` or `nbf` is above 10^11, so it is almost surely milliseconds.
    #[error(
        "The token's {claim} is {value}, which looks like milliseconds, but Stream tokens use \
         Unix seconds. Whoever made the token must divide the time by 1000."
    )]
    Milliseconds {
        /// `exp` or `nbf`.
        claim: &'static str,
        /// The value found.
        value: i64,
    },
}

impl TokenError {
    /// Returns a stable snake_case code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAToken => "not_a_token",
            Self::InvalidEncoding { .. } => "invalid_encoding",
            Self::InvalidJson { .. } => "invalid_json",
            Self::InvalidClaim { .. } => "invalid_claim",
            Self::Milliseconds { .. } => "milliseconds",
        }
    }
}

/// Maximum length, in characters, of a public value that messages repeat whole.
const EXCERPT_MAX_CHARS: usize = 40;

/// Returns `value` in quotes when it is short and has no white space, or else only its length.
///
/// Key ids, labels and rule values are public, but a user may paste a key or a token into the
/// wrong field, and those are long, so a long value is never repeated.
pub(crate) fn excerpt(value: &str) -> String {
    let char_count = value.chars().count();
    if char_count <= EXCERPT_MAX_CHARS && !value.chars().any(char::is_whitespace) {
        format!("\"{value}\"")
    } else {
        format!("(a value of {char_count} characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_short_value_quoted() {
        assert_eq!(excerpt("abc"), "\"abc\"");
    }

    #[test]
    fn excerpt_long_value_hidden() {
        let long = "a".repeat(EXCERPT_MAX_CHARS + 1);
        assert_eq!(excerpt(&long), "(a value of 41 characters)");
    }

    #[test]
    fn excerpt_white_space_hidden() {
        assert_eq!(excerpt("a b"), "(a value of 3 characters)");
    }

    #[test]
    fn codes_distinct_for_key_errors() {
        let errors = [
            KeyError::Empty,
            KeyError::Unrecognized,
            KeyError::DecodedUnrecognized,
            KeyError::TokenNotKey,
            KeyError::NotPrivateKey {
                label: String::new(),
            },
            KeyError::Encrypted,
            KeyError::UnsupportedPem {
                label: String::new(),
            },
            KeyError::InvalidPem {
                reason: String::new(),
            },
            KeyError::NotRsa {
                kind: String::new(),
            },
            KeyError::PublicJwk,
            KeyError::WrongAlgorithm { alg: String::new() },
            KeyError::InvalidJwk {
                reason: String::new(),
            },
            KeyError::KidMismatch {
                id: String::new(),
                kid: String::new(),
            },
            KeyError::MissingId,
            KeyError::InvalidId { id: String::new() },
            KeyError::KeyTooShort { bits: 0 },
            KeyError::InvalidKey {
                reason: String::new(),
            },
            KeyError::InvalidStored {
                reason: String::new(),
            },
            KeyError::Generate {
                reason: String::new(),
            },
        ];
        let mut codes: Vec<_> = errors.iter().map(KeyError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
    }
}
