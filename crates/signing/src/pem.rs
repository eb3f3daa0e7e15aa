//! Finds the RSA private key in PEM text and returns it as PKCS#1 DER.
//!
//! The reader is forgiving about layout, because keys arrive through copy and paste: CRLF line
//! ends, indented or joined lines, and `\n` escapes left over from a JSON string all work. It
//! is strict about content: the label decides the format (PKCS#1 `RSA PRIVATE KEY` or PKCS#8
//! `PRIVATE KEY`), and public keys, certificates, encrypted keys and non-RSA keys each get their
//! own error.

use rsa::pkcs8::der::Decode;
use rsa::pkcs8::{ObjectIdentifier, PrivateKeyInfoRef};

use crate::base64url::decode_lenient;
use crate::error::{excerpt, KeyError};

/// Labels of blocks that hold no private key.
const PUBLIC_LABELS: &[&str] = &[
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
    "CERTIFICATE",
    "TRUSTED CERTIFICATE",
    "X509 CERTIFICATE",
    "CERTIFICATE REQUEST",
    "NEW CERTIFICATE REQUEST",
];

/// RSASSA-PSS keys (RFC 4055) hold the same numbers as `rsaEncryption` keys, so RS256 can use them.
const RSASSA_PSS_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const EC_PUBLIC_KEY_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// One `-----BEGIN label-----` … `-----END label-----` block.
struct Block {
    label: String,
    body: String,
}

/// Returns the PKCS#1 DER of the first private key block in `text`.
///
/// # Errors
///
/// [`KeyError::NotPrivateKey`] when the text has only public keys or certificates,
/// [`KeyError::Encrypted`], [`KeyError::UnsupportedPem`], [`KeyError::NotRsa`], and
/// [`KeyError::InvalidPem`] for broken framing, base64 or DER.
pub(crate) fn private_key_der(text: &str) -> Result<Vec<u8>, KeyError> {
    let normalised = text.replace("\\r", "").replace("\\n", "\n");
    let blocks = find_blocks(&normalised)?;

    let block = blocks
        .iter()
        .find(|block| block.label.ends_with("PRIVATE KEY"))
        .or_else(|| blocks.first())
        .ok_or_else(|| invalid("no -----BEGIN line with a label was found"))?;

    match block.label.as_str() {
        "RSA PRIVATE KEY" => pkcs1_body(block),
        "PRIVATE KEY" => pkcs8_body(block),
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
        label if PUBLIC_LABELS.contains(&label) => Err(KeyError::NotPrivateKey {
            label: label.to_owned(),
        }),
        label => Err(KeyError::UnsupportedPem {
            label: excerpt(label),
        }),
    }
}

fn find_blocks(text: &str) -> Result<Vec<Block>, KeyError> {
    let mut blocks = Vec::new();
    let mut rest = text;

    while let Some(start) = rest.find("-----BEGIN ") {
        let after_begin = &rest[start + "-----BEGIN ".len()..];
        let label_end = after_begin
            .find("-----")
            .ok_or_else(|| invalid("the -----BEGIN line does not end with -----"))?;
        let label = after_begin[..label_end].trim();
        if label.is_empty()
            || !label
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b' ' || b.is_ascii_digit())
        {
            return Err(invalid("the -----BEGIN line has a malformed label"));
        }

        let after_label = &after_begin[label_end + "-----".len()..];
        let end_line = format!("-----END {label}-----");
        let body_end = after_label
            .find(&end_line)
            .ok_or_else(|| invalid(&format!("the line {end_line} is missing")))?;

        blocks.push(Block {
            label: label.to_owned(),
            body: after_label[..body_end].to_owned(),
        });
        rest = &after_label[body_end + end_line.len()..];
    }

    Ok(blocks)
}

fn pkcs1_body(block: &Block) -> Result<Vec<u8>, KeyError> {
    // OpenSSL's legacy encryption puts RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` and
    // `DEK-Info: ...` before the base64 body; base64 never contains a colon.
    if block.body.contains(':') {
        return Err(KeyError::Encrypted);
    }
    decode_body(block)
}

fn pkcs8_body(block: &Block) -> Result<Vec<u8>, KeyError> {
    let der = decode_body(block)?;
    let info = PrivateKeyInfoRef::from_der(&der)
        .map_err(|error| invalid(&format!("the PKCS#8 structure is malformed: {error}")))?;

    let oid = info.algorithm.oid;
    if oid != rsa::pkcs1::ALGORITHM_OID && oid != RSASSA_PSS_OID {
        return Err(KeyError::NotRsa {
            kind: describe_algorithm(oid),
        });
    }

    Ok(info.private_key.as_bytes().to_vec())
}

fn decode_body(block: &Block) -> Result<Vec<u8>, KeyError> {
    decode_lenient(&block.body).ok_or_else(|| {
        invalid(&format!(
            "the text between the BEGIN and END {} lines is not base64",
            block.label
        ))
    })
}

fn describe_algorithm(oid: ObjectIdentifier) -> String {
    match oid {
        EC_PUBLIC_KEY_OID => "an EC key".to_owned(),
        ED25519_OID => "an Ed25519 key".to_owned(),
        other => format!("a key with the algorithm OID {other}"),
    }
}

fn invalid(reason: &str) -> KeyError {
    KeyError::InvalidPem {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(label: &str, body: &str) -> String {
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    }

    #[test]
    fn der_from_pkcs1_block() {
        let text = block("RSA PRIVATE KEY", "AQID");
        assert_eq!(private_key_der(&text).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn der_from_escaped_newlines() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\\nAQ\\r\\nID\\n-----END RSA PRIVATE KEY-----";
        assert_eq!(private_key_der(text).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn der_from_joined_line() {
        let text = "-----BEGIN RSA PRIVATE KEY----- AQID -----END RSA PRIVATE KEY-----";
        assert_eq!(private_key_der(text).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn private_block_after_certificate() {
        let text = block("CERTIFICATE", "AAAA") + &block("RSA PRIVATE KEY", "AQID");
        assert_eq!(private_key_der(&text).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn public_key_rejected() {
        let error = private_key_der(&block("PUBLIC KEY", "AAAA")).unwrap_err();
        assert_eq!(error.code(), "not_private_key");
    }

    #[test]
    fn rsa_public_key_rejected() {
        let error = private_key_der(&block("RSA PUBLIC KEY", "AAAA")).unwrap_err();
        assert_eq!(error.code(), "not_private_key");
    }

    #[test]
    fn certificate_rejected() {
        let error = private_key_der(&block("CERTIFICATE", "AAAA")).unwrap_err();
        assert_eq!(
            error,
            KeyError::NotPrivateKey {
                label: "CERTIFICATE".to_owned()
            }
        );
    }

    #[test]
    fn encrypted_pkcs8_rejected() {
        let error = private_key_der(&block("ENCRYPTED PRIVATE KEY", "AAAA")).unwrap_err();
        assert_eq!(error, KeyError::Encrypted);
    }

    #[test]
    fn legacy_encrypted_rejected() {
        let body = "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA";
        let error = private_key_der(&block("RSA PRIVATE KEY", body)).unwrap_err();
        assert_eq!(error, KeyError::Encrypted);
    }

    #[test]
    fn ec_label_unsupported() {
        let error = private_key_der(&block("EC PRIVATE KEY", "AAAA")).unwrap_err();
        assert_eq!(error.code(), "unsupported_pem");
    }

    #[test]
    fn missing_end_line() {
        let error = private_key_der("-----BEGIN RSA PRIVATE KEY-----\nAQID\n").unwrap_err();
        assert_eq!(error.code(), "invalid_pem");
    }

    #[test]
    fn body_not_base64() {
        let error = private_key_der(&block("RSA PRIVATE KEY", "not base64!")).unwrap_err();
        assert_eq!(error.code(), "invalid_pem");
    }

    #[test]
    fn pkcs8_garbage_der() {
        let error = private_key_der(&block("PRIVATE KEY", "AQID")).unwrap_err();
        assert_eq!(error.code(), "invalid_pem");
    }

    #[test]
    fn pkcs8_ec_key_not_rsa() {
        // PrivateKeyInfo { version 0, algorithm id-ecPublicKey, privateKey 01 02 03 }
        let text = block("PRIVATE KEY", "MBMCAQAwCQYHKoZIzj0CAQQDAQID");
        assert_eq!(
            private_key_der(&text),
            Err(KeyError::NotRsa {
                kind: "an EC key".to_owned()
            })
        );
    }

    #[test]
    fn malformed_label() {
        let error =
            private_key_der("-----BEGIN rsa key-----\nAQID\n-----END rsa key-----").unwrap_err();
        assert_eq!(error.code(), "invalid_pem");
    }
}
