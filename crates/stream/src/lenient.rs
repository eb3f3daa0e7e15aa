//! Serde helpers for fields whose wire type varies between the schema and the live service.

use serde::{Deserialize, Deserializer};

/// A JSON value that should be a number but may arrive as a numeric string (`"39.000000"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(f64),
    Text(String),
}

impl NumberOrString {
    fn to_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(s) => s.trim().parse::<f64>().ok(),
        }
    }
}

/// Parses a number sent as a number, a numeric string, or `null`; anything else becomes `None`.
pub fn opt_f64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<f64>, D::Error> {
    let value = Option::<NumberOrString>::deserialize(de).unwrap_or(None);
    Ok(value.and_then(|v| v.to_f64()).filter(|n| n.is_finite()))
}

/// Parses a non-negative integer sent as a number or a numeric string.
pub fn opt_u64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
    let value = opt_f64(de)?;
    Ok(value.filter(|n| *n >= 0.0).map(|n| n as u64))
}

/// Parses a duration in seconds, mapping the service's `-1` ("unknown") to `None`.
pub fn opt_duration<'de, D: Deserializer<'de>>(de: D) -> Result<Option<f64>, D::Error> {
    let value = opt_f64(de)?;
    Ok(value.filter(|n| *n >= 0.0))
}

/// Parses a boolean that may be `null` or missing, defaulting to false.
pub fn bool_or_false<'de, D: Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(de)
        .unwrap_or(None)
        .unwrap_or(false))
}

/// Parses a string that may be `null`, mapping `null` and `""` to `None`.
pub fn opt_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(de)?;
    Ok(match value {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    })
}
