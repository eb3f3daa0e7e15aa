//! One module per subcommand; [`run`] dispatches to them.

mod backup;
mod backup_text;
mod download;
mod key_input;
mod keys;
mod library;
mod login;
mod status;
mod sync;
mod videos;

use std::io;

use crate::args::{Args, Command, KeysCommand};
use crate::context::Context;
use crate::exit::{CliError, ExitClass};

/// Runs the parsed command.
///
/// # Errors
/// The failure to report, with its exit class.
pub async fn run(args: Args) -> Result<(), CliError> {
    let context = Context::resolve()?;
    match args.command {
        Command::Videos { search, json } => videos::run(&context, search, json, args.quiet).await,
        Command::Download { uids, audio } => download::run(&context, uids, audio, args.quiet).await,
        Command::Resume => download::resume(&context, args.quiet).await,
        Command::Sync { full } => sync::run(&context, full, args.quiet).await,
        Command::Backup(backup) => backup::run(&context, backup, args.quiet).await,
        Command::Library { json } => library::run(&context, json).await,
        Command::Login { account_id } => login::login(&context, account_id).await,
        Command::Logout => login::logout(&context).await,
        Command::Status => status::run(&context).await,
        Command::Keys { command } => match command {
            KeysCommand::Add { id, file } => keys::add(&context, id, file).await,
            KeysCommand::Create { yes } => keys::create(&context, yes).await,
            KeysCommand::Remove { revoke } => keys::remove(&context, revoke).await,
            KeysCommand::Status => keys::status(&context).await,
        },
    }
}

/// Converts a failed write to standard output. A closed pipe (`offstream videos | head`)
/// ends the command quietly with success, as other Unix tools do.
fn output_result(result: io::Result<()>) -> Result<(), CliError> {
    match result {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(CliError::new(
            ExitClass::General,
            format!("cannot write to standard output: {error}"),
        )),
    }
}

/// Serializes `value` as pretty JSON followed by a newline.
fn json_text(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|error| {
        CliError::new(
            ExitClass::General,
            format!("cannot write the JSON output: {error}"),
        )
    })?;
    text.push('\n');
    Ok(text)
}
