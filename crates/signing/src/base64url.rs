//! Base64 decoding that forgives how pasted text arrives, and the strict base64url encoding
//! that JWTs and JWKs use.
//!
//! Pasted key material may use the standard or the URL-safe alphabet, may or may not carry `=`
//! padding, and may be broken into lines. [`decode_lenient`] accepts all of these; it still
//! rejects characters outside both alphabets, so arbitrary text is not mistaken for base64.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;

const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 in either alphabet, with or without padding, ignoring ASCII white space
/// anywhere in the text. Returns `None` when the text is not base64 or decodes to nothing.
///
/// Suits text known to be base64, such as a PEM body. For text of unknown form, use
/// [`decode_pasted`], which does not take prose with spaces for base64.
pub(crate) fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    decode_compact(&compact)
}

/// Decodes pasted base64 like [`decode_lenient`], but allows white space only at the start
/// and end of lines, as in wrapped base64.
pub(crate) fn decode_pasted(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.lines().map(str::trim).collect();
    decode_compact(&compact)
}

fn decode_compact(compact: &str) -> Option<Vec<u8>> {
    if compact.is_empty() {
        return None;
    }

    // A text with `-` or `_` can only be URL-safe; one with `+` or `/` only standard. Text with
    // neither decodes the same in both alphabets.
    let engine = if compact.contains(['-', '_']) {
        &URL_SAFE_ANY_PADDING
    } else {
        &STANDARD_ANY_PADDING
    };

    engine
        .decode(compact)
        .ok()
        .filter(|bytes| !bytes.is_empty())
}

/// Decodes one base64url part of a JWT or one JWK member, accepting padding when present.
pub(crate) fn decode_url_safe(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_ANY_PADDING.decode(text).ok()
}

/// Encodes bytes as base64url without padding, as JWTs and JWKs require.
pub(crate) fn encode_url_safe(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_standard_padded() {
        assert_eq!(decode_lenient("aGk/Pz8+").unwrap(), b"hi???>");
    }

    #[test]
    fn lenient_url_safe_unpadded() {
        assert_eq!(decode_lenient("aGk_Pz8-").unwrap(), b"hi???>");
    }

    #[test]
    fn lenient_missing_padding() {
        assert_eq!(decode_lenient("aGVsbG8").unwrap(), b"hello");
    }

    #[test]
    fn lenient_line_breaks() {
        assert_eq!(decode_lenient("aGVs\r\n bG8=\n").unwrap(), b"hello");
    }

    #[test]
    fn lenient_rejects_text() {
        assert!(decode_lenient("not base64 at all!").is_none());
    }

    #[test]
    fn lenient_rejects_empty() {
        assert!(decode_lenient(" \n ").is_none());
    }

    #[test]
    fn pasted_wrapped_lines() {
        assert_eq!(decode_pasted("  aGVs\r\n\tbG8=\n").unwrap(), b"hello");
    }

    #[test]
    fn pasted_rejects_spaced_words() {
        assert!(decode_pasted("my signing key").is_none());
    }

    #[test]
    fn url_safe_round_trip() {
        let bytes = [0xfb, 0xff, 0x00, 0x10];
        assert_eq!(decode_url_safe(&encode_url_safe(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn url_safe_encoding_unpadded() {
        assert_eq!(encode_url_safe(b"hello"), "aGVsbG8");
    }
}
