//! Reads signing key material for `offstream keys add`: from a file, from standard input when
//! it is not a terminal, or from a hidden prompt. Never from an argument, because arguments
//! land in the shell history and in the process list.
//!
//! The text is wrapped in a [`SecretString`] as soon as it is read, and no error here quotes
//! it. Input is capped at [`MAX_MATERIAL_BYTES`], so a wrong file (a video) fails fast.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use offstream_credentials::SecretString;

use crate::exit::{CliError, ExitClass};

/// Largest accepted input. A 4096-bit RSA key as base64 of a JWK is about 4.5 KiB.
const MAX_MATERIAL_BYTES: u64 = 64 * 1024;

/// Most lines read from the hidden prompt for one PEM block. A 4096-bit PKCS#1 key has about
/// 50 lines.
const MAX_PROMPT_LINES: usize = 200;

/// The source of the material, named in messages.
#[derive(Debug, Clone)]
pub enum MaterialOrigin {
    File(PathBuf),
    Stdin,
    Prompt,
}

impl fmt::Display for MaterialOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "the file {}", path.display()),
            Self::Stdin => f.write_str("standard input"),
            Self::Prompt => f.write_str("the prompt"),
        }
    }
}

/// Reads the material from `file` (`-` is standard input), else from standard input when
/// `interactive` is false, else from a hidden prompt.
///
/// # Errors
/// A usage error for a file that cannot be read, input that is too large or not UTF-8 text,
/// and a general error when the terminal cannot be read.
pub fn read(
    file: Option<&Path>,
    interactive: bool,
) -> Result<(SecretString, MaterialOrigin), CliError> {
    match file {
        Some(path) if path == Path::new("-") => Ok((read_stdin()?, MaterialOrigin::Stdin)),
        Some(path) => Ok((read_file(path)?, MaterialOrigin::File(path.to_owned()))),
        None if interactive => Ok((read_prompt()?, MaterialOrigin::Prompt)),
        None => Ok((read_stdin()?, MaterialOrigin::Stdin)),
    }
}

fn read_file(path: &Path) -> Result<SecretString, CliError> {
    let origin = MaterialOrigin::File(path.to_owned());
    let file = File::open(path).map_err(|error| {
        CliError::new(
            ExitClass::Usage,
            format!("cannot read the signing key from {origin}: {error}"),
        )
    })?;
    read_bounded(file, &origin)
}

fn read_stdin() -> Result<SecretString, CliError> {
    read_bounded(io::stdin().lock(), &MaterialOrigin::Stdin)
}

/// Reads at most [`MAX_MATERIAL_BYTES`] and checks that the bytes are UTF-8 text.
fn read_bounded(reader: impl Read, origin: &MaterialOrigin) -> Result<SecretString, CliError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_MATERIAL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| {
            CliError::new(
                ExitClass::General,
                format!("cannot read the signing key from {origin}: {error}"),
            )
        })?;

    if bytes.len() as u64 > MAX_MATERIAL_BYTES {
        return Err(CliError::new(
            ExitClass::Usage,
            format!(
                "{origin} has more than {} KiB, too much for a signing key. Pass the `pem` or `jwk` value of the key, or a PEM or JWK file",
                MAX_MATERIAL_BYTES / 1024
            ),
        ));
    }
    String::from_utf8(bytes)
        .map(SecretString::new)
        .map_err(|_| {
            CliError::new(
                ExitClass::Usage,
                format!("{origin} is not UTF-8 text, so it is no PEM, JWK or base64 key. Pass the `pem` or `jwk` value of the key, or a PEM or JWK file"),
            )
        })
}

/// Reads the material from the terminal without echo. A PEM block spans many lines, so after
/// a `-----BEGIN` line the prompt keeps reading until the `-----END` line.
fn read_prompt() -> Result<SecretString, CliError> {
    let first = rpassword::prompt_password(
        "Signing key: paste the `pem` or `jwk` value, or a PEM block (input is hidden): ",
    )
    .map_err(|error| prompt_error(&error))?;
    if !first.trim_start().starts_with("-----BEGIN") {
        return Ok(SecretString::new(first));
    }

    let mut text = first;
    for _ in 0..MAX_PROMPT_LINES {
        let line = rpassword::read_password().map_err(|error| prompt_error(&error))?;
        text.push('\n');
        text.push_str(&line);
        if line.trim_start().starts_with("-----END") {
            break;
        }
    }
    Ok(SecretString::new(text))
}

fn prompt_error(error: &io::Error) -> CliError {
    CliError::new(
        ExitClass::General,
        format!("cannot read the signing key from the terminal: {error}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_read_keeps_text() {
        let text = read_bounded("LS0tLS1CRUdJTg==\n".as_bytes(), &MaterialOrigin::Stdin).unwrap();
        assert_eq!(text.expose(), "LS0tLS1CRUdJTg==\n");
    }

    #[test]
    fn bounded_read_rejects_large_input() {
        let input = vec![b'A'; MAX_MATERIAL_BYTES as usize + 1];
        let error = read_bounded(input.as_slice(), &MaterialOrigin::Stdin).unwrap_err();
        assert_eq!(error.class(), ExitClass::Usage);
        assert!(
            error.message().unwrap().contains("64 KiB"),
            "{:?}",
            error.message()
        );
    }

    #[test]
    fn bounded_read_rejects_binary() {
        let error = read_bounded(&[0xff, 0xfe, 0x00][..], &MaterialOrigin::Stdin).unwrap_err();
        assert!(
            error.message().unwrap().contains("not UTF-8"),
            "{:?}",
            error.message()
        );
    }

    #[test]
    fn missing_file_names_path() {
        let error = read(Some(Path::new("/nonexistent/key.pem")), false).unwrap_err();
        assert_eq!(error.class(), ExitClass::Usage);
        assert!(
            error.message().unwrap().contains("/nonexistent/key.pem"),
            "{:?}",
            error.message()
        );
    }
}
