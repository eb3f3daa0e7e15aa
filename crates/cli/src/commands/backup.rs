//! `offstream backup`: take many videos offline as one backup.
//!
//! Steps:
//! 1. check the arguments (the manifest's extension and folder, the dates);
//! 2. sync the mirror of the video list (quick) and print the estimate on standard output;
//! 3. ask for confirmation, then run the backup with the progress of `download`;
//! 4. print the restore step's result, write the manifest and print a summary line.
//!
//! Nothing starts before the confirmation: not a download, not a change on Stream. Without a
//! terminal on standard input the command needs `--yes`. Ctrl-C cancels the backup and keeps
//! partial files, so running the same command again resumes them; a second Ctrl-C exits at
//! once. The exit status is 0 when every video to download ended in the library, else the
//! class of the failures (130 after Ctrl-C).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use offstream_engine::backup::{
    check_selection, estimate_backup, start_backup, write_manifest, BackupEstimate, BackupOptions,
    BackupOutcome, BackupProgress, BackupSelection, BackupState, ManifestFormat,
};
use offstream_engine::sync::SyncMode;
use offstream_stream::DownloadType;

use super::backup_text;
use super::download::{failure_class, job_manager, Interrupts};
use super::login::prompt_line;
use super::output_result;
use super::sync::{describe as describe_sync, sync_mirror};
use crate::args::BackupArgs;
use crate::context::Context;
use crate::exit::{CliError, ExitClass};
use crate::progress::{self, Mode, Progress};
use crate::terminal;

/// Runs a backup as the arguments request.
///
/// # Errors
/// Before anything starts: invalid arguments (a manifest file without a .json or .csv
/// extension or in a missing folder, a bad date), missing credentials, a failed sync, and a
/// missing confirmation. Afterwards an already reported error with the class of the failed
/// downloads.
pub async fn run(context: &Context, args: BackupArgs, quiet: bool) -> Result<(), CliError> {
    let manifest = args.manifest.as_deref().map(manifest_target).transpose()?;
    let selection = selection(&args)?;
    check_selection(&selection)?;
    let download_type = if args.audio {
        DownloadType::Audio
    } else {
        DownloadType::Default
    };

    let account = context.account().await?;
    let jobs = job_manager(context, &account).await?;
    let account_id = account.client.account_id().to_owned();
    let synced = sync_mirror(
        &account,
        jobs.catalog(),
        jobs.api_budget(),
        SyncMode::Quick,
        quiet,
    )
    .await?;
    if !quiet {
        terminal::print_note(&describe_sync(&synced));
    }

    let estimate = estimate_backup(jobs.catalog(), &account_id, &selection, download_type)?;
    output_result(terminal::print_out(&backup_text::estimate(&estimate)))?;
    if args.dry_run {
        return Ok(());
    }
    if estimate.selected == 0 {
        return Ok(());
    }
    if !estimate.to_download.is_empty() {
        confirm(&estimate, args.yes)?;
    }

    // Listen before the first job starts, so an early Ctrl-C cancels instead of killing.
    let mut interrupts = Interrupts::listen()?;
    let progress = progress::follow(
        &jobs,
        Progress::new(Mode::detect(quiet), estimate.to_download.len()),
    );
    let options = BackupOptions {
        restore_account: args.restore_account,
    };
    let handle = start_backup(&jobs, &account_id, &estimate, &options).await?;
    tracing::debug!(backup_id = handle.id(), "backup started");

    let mut cancelling = false;
    let finished = loop {
        tokio::select! {
            finished = handle.wait() => break finished,
            () = interrupts.recv() => {
                if cancelling {
                    terminal::clear_status();
                    terminal::print_note("Stopped at once. Partial files are kept; run the same command again to resume.");
                    std::process::exit(i32::from(ExitClass::Interrupted.code()));
                }
                cancelling = true;
                terminal::print_note("Cancelling the backup and keeping partial files. Press Ctrl-C again to quit at once.");
                handle.cancel();
            }
        }
    };
    progress.abort();
    terminal::clear_status();

    let failures = report_items(&finished);
    if finished.state == BackupState::Cancelled {
        terminal::print_note(&backup_text::cancelled(args.restore_account));
    }
    if let Some(outcome) = handle.restore_outcome() {
        match outcome {
            Ok(report) => terminal::print_note(&backup_text::restore(&report)),
            Err(error) => terminal::print_error(&format!(
                "the restore step failed: {}. Downloads the backup enabled may remain on Stream",
                error.message
            )),
        }
    }
    if let Some((path, format)) = &manifest {
        let count = write_manifest(jobs.catalog(), handle.id(), path, *format)?;
        terminal::print_note(&format!(
            "Wrote the manifest of {count} videos to {}.",
            path.display()
        ));
    }
    output_result(terminal::print_out(&backup_text::summary(&finished)))?;

    if finished.state == BackupState::Cancelled {
        return Err(CliError::reported(ExitClass::Interrupted));
    }
    match failures.first() {
        Some(first) => Err(CliError::reported(failure_class(&failures, *first))),
        None => Ok(()),
    }
}

/// Builds the selection from the arguments. clap already requires at least one of them.
fn selection(args: &BackupArgs) -> Result<BackupSelection, CliError> {
    let blank =
        |value: &Option<String>| value.as_deref().is_some_and(|text| text.trim().is_empty());
    for (name, value) in [
        ("--search", &args.search),
        ("--since", &args.since),
        ("--until", &args.until),
        ("--creator", &args.creator),
    ] {
        if blank(value) {
            return Err(CliError::new(
                ExitClass::Usage,
                format!("{name} needs a value that is not blank; use --all to back up every video"),
            ));
        }
    }
    Ok(BackupSelection {
        uids: None,
        search: args.search.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        creator: args.creator.clone(),
    })
}

/// Returns the manifest's path and its format from the extension, and checks that its folder
/// exists, so a typo fails before the backup starts.
fn manifest_target(path: &Path) -> Result<(PathBuf, ManifestFormat), CliError> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("json") => ManifestFormat::Json,
        Some("csv") => ManifestFormat::Csv,
        _ => {
            return Err(CliError::new(
                ExitClass::Usage,
                format!(
                    "the manifest file '{}' must end in .json or .csv, which sets its format",
                    path.display()
                ),
            ))
        }
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(CliError::new(
            ExitClass::Usage,
            format!(
                "the folder of the manifest file '{}' does not exist: create it or choose another path",
                path.display()
            ),
        ));
    }
    Ok((path.to_owned(), format))
}

/// Asks for confirmation on a terminal; requires `--yes` otherwise.
fn confirm(estimate: &BackupEstimate, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    let question = backup_text::question(estimate);
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            ExitClass::Usage,
            format!("the backup needs confirmation ({question}): pass --yes when standard input is not a terminal, or --dry-run to see only the estimate"),
        ));
    }

    let answer = prompt_line(&format!("{question} [y/N] "))?;
    if matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(CliError::new(
            ExitClass::General,
            "cancelled: nothing was downloaded or changed on Stream",
        ))
    }
}

/// Prints one line per failed video and returns the exit class of each failure.
fn report_items(progress: &BackupProgress) -> Vec<ExitClass> {
    let mut failures = Vec::new();
    for item in &progress.items {
        if item.outcome != BackupOutcome::Failed {
            continue;
        }
        let (class, message) = match &item.error {
            Some(error) => (ExitClass::from_code(&error.code), error.message.clone()),
            None => (ExitClass::General, "the download failed".to_owned()),
        };
        terminal::print_error(&format!("{}: {message}", item.uid));
        failures.push(class);
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> BackupArgs {
        BackupArgs {
            all: false,
            search: None,
            since: None,
            until: None,
            creator: None,
            audio: false,
            dry_run: false,
            restore_account: false,
            manifest: None,
            yes: false,
        }
    }

    #[test]
    fn manifest_format_follows_extension() {
        let dir = std::env::temp_dir();
        let (_, json) = manifest_target(&dir.join("backup.JSON")).unwrap();
        let (_, csv) = manifest_target(&dir.join("backup.csv")).unwrap();
        assert_eq!(json, ManifestFormat::Json);
        assert_eq!(csv, ManifestFormat::Csv);
    }

    #[test]
    fn manifest_rejects_other_extension() {
        let error = manifest_target(Path::new("backup.txt")).unwrap_err();
        assert_eq!(error.class(), ExitClass::Usage);
        assert!(error.message().unwrap().contains(".json or .csv"));
    }

    #[test]
    fn manifest_rejects_missing_folder() {
        let path = std::env::temp_dir()
            .join("no-such-folder-offstream")
            .join("m.json");
        let error = manifest_target(&path).unwrap_err();
        assert!(error.message().unwrap().contains("does not exist"));
    }

    #[test]
    fn selection_rejects_blank_search() {
        let mut args = args();
        args.search = Some("  ".to_owned());
        let error = selection(&args).unwrap_err();
        assert!(error.message().unwrap().contains("--search"));
    }

    #[test]
    fn selection_copies_filters() {
        let mut args = args();
        args.since = Some("2024-05-01".to_owned());
        args.creator = Some("c1".to_owned());
        let selection = selection(&args).unwrap();
        assert_eq!(selection.since.as_deref(), Some("2024-05-01"));
        assert_eq!(selection.creator.as_deref(), Some("c1"));
        assert_eq!(selection.search, None);
    }
}
