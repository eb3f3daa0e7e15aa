//! `offstream download UID...`: enable, wait, download and verify each video into the library.
//!
//! All uids run as jobs of one `JobManager`, which limits how many talk to the API and how
//! many transfer at once. Each verified file's absolute path is printed on standard output as
//! soon as it is in the library. Each failure is one line on standard error naming the uid.
//! The exit status is 0 only when every file was verified.
//!
//! Ctrl-C cancels every job. The engine keeps the `.part` files and records them in the
//! catalog, so the same command resumes them later. A second Ctrl-C exits at once.
//! `offstream resume` restarts the jobs a crashed or killed run left unfinished.
//!
//! Private videos need a signed token in place of the uid. The engine signs it with the key
//! stored in the keychain, or else requests it from Cloudflare's token endpoint. In that case
//! the first such token prints a note (see [`crate::token_note`]). An argument that is or
//! contains a signed token (a pasted signed URL) is rejected without being echoed, because
//! the token is a secret.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{FuturesUnordered, StreamExt};
use offstream_engine::{EngineError, EngineOptions, JobId, JobManager, LibraryItem};
use offstream_profile::Settings;
use offstream_signing::looks_like_token;
use offstream_stream::{DownloadType, Video};

use crate::context::{Account, Context};
use crate::exit::{is_signing_code, CliError, ExitClass};
use crate::progress::{self, Mode, Progress};
use crate::signing;
use crate::terminal;

/// Downloads every uid and prints the paths.
///
/// # Errors
/// Before any download starts: missing credentials, an unreadable stored signing key, invalid
/// settings or an unusable library folder. After that, an already reported error whose class
/// is that of the failed downloads.
pub async fn run(
    context: &Context,
    uids: Vec<String>,
    audio: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let (tokens, uids) = split_tokens(uids);
    let uids = unique(uids);
    let mut outcome = Outcome::new(uids.len() + tokens.len());
    for position in tokens {
        outcome.token_argument(position);
    }
    if uids.is_empty() {
        return outcome.finish();
    }

    let download_type = if audio {
        DownloadType::Audio
    } else {
        DownloadType::Default
    };

    let account = context.account().await?;
    let jobs = job_manager(context, &account).await?;
    tracing::debug!(count = uids.len(), download_type = %download_type, library_dir = %jobs.library_dir().display(), "starting downloads");

    // Listen before the first job starts, so an early Ctrl-C cancels instead of killing.
    let interrupts = Interrupts::listen()?;
    let progress = progress::follow(&jobs, Progress::new(Mode::detect(quiet), uids.len()));

    let listed = prefetch_videos(&jobs, &uids).await;
    let mut started: Vec<JobId> = Vec::new();
    let waiting: Waiting = FuturesUnordered::new();
    for uid in &uids {
        let start = match listed.get(uid) {
            Some(video) => jobs.start_with_video(video, download_type),
            None => jobs.start(uid, download_type),
        };
        match start {
            Ok(id) => {
                started.push(id);
                let jobs = jobs.clone();
                let uid = uid.clone();
                waiting.push(Box::pin(async move { (uid, id, jobs.wait(id).await) }));
            }
            Err(error) => outcome.failed(uid, error, &account),
        }
    }

    follow_to_end(
        &jobs, &account, started, waiting, outcome, interrupts, progress,
    )
    .await
}

/// The jobs being awaited, each with its uid and id.
type Waiting = FuturesUnordered<
    std::pin::Pin<
        Box<dyn std::future::Future<Output = (String, JobId, Result<LibraryItem, EngineError>)>>,
    >,
>;

/// Reports each job as it ends, cancels every job on Ctrl-C (a second one exits at once), and
/// returns the outcome.
async fn follow_to_end(
    jobs: &JobManager,
    account: &Account,
    started: Vec<JobId>,
    mut waiting: Waiting,
    mut outcome: Outcome,
    mut interrupts: Interrupts,
    progress: tokio::task::JoinHandle<()>,
) -> Result<(), CliError> {
    let mut cancelling = false;
    loop {
        tokio::select! {
            finished = waiting.next() => match finished {
                Some((uid, id, Ok(item))) => outcome.saved(&uid, id, &item),
                Some((uid, id, Err(EngineError::Cancelled))) => outcome.cancelled(&uid, id, jobs),
                Some((uid, id, Err(error))) => {
                    outcome.failed(&uid, error, account);
                    outcome.note_kept_part(&uid, id, jobs);
                }
                None => break,
            },
            () = interrupts.recv() => {
                if cancelling {
                    terminal::clear_status();
                    terminal::print_note("Stopped at once. Partial files are kept; run the same command again to resume.");
                    std::process::exit(i32::from(ExitClass::Interrupted.code()));
                }
                cancelling = true;
                terminal::print_note("Cancelling the downloads and keeping partial files. Press Ctrl-C again to quit at once.");
                for id in &started {
                    // Only unknown ids fail, and every id here came from the manager.
                    let _ = jobs.cancel(*id, false);
                }
            }
        }
    }

    progress.abort();
    terminal::clear_status();
    outcome.finish()
}

/// Resumes the downloads an earlier run left unfinished in the catalog (interrupted by a crash,
/// a kill or a power cut) and prints the paths, as `download` does. Paused jobs stay paused.
///
/// # Errors
/// As [`run`].
pub async fn resume(context: &Context, quiet: bool) -> Result<(), CliError> {
    let account = context.account().await?;
    let jobs = job_manager(context, &account).await?;
    // Listen before the jobs start, so an early Ctrl-C cancels instead of killing.
    let interrupts = Interrupts::listen()?;
    let resumed = jobs.resume_unfinished()?;
    if resumed.is_empty() {
        if !quiet {
            terminal::print_note("No unfinished downloads to resume here. If the Offstream app is running, it resumes them itself.");
        }
        return Ok(());
    }

    let outcome = Outcome::new(resumed.len());
    let progress = progress::follow(&jobs, Progress::new(Mode::detect(quiet), resumed.len()));
    let waiting: Waiting = FuturesUnordered::new();
    for id in &resumed {
        let uid = jobs
            .snapshot(*id)
            .map_or_else(|| format!("job {id}"), |snapshot| snapshot.uid);
        let jobs = jobs.clone();
        let id = *id;
        waiting.push(Box::pin(async move { (uid, id, jobs.wait(id).await) }));
    }
    follow_to_end(
        &jobs, &account, resumed, waiting, outcome, interrupts, progress,
    )
    .await
}

/// Builds the job manager of a download run: the signer, the settings' access rules and
/// transfer limit, the catalog and the library folder.
pub(super) async fn job_manager(
    context: &Context,
    account: &Account,
) -> Result<JobManager, CliError> {
    let signer = signing::download_signer(context).await?;
    let settings = Settings::load(&context.profile.data_dir)?;
    let defaults = EngineOptions::default();
    let options = EngineOptions {
        token_access_rules: settings.token_access_rules,
        max_concurrent_transfers: settings
            .max_transfers
            .map_or(defaults.max_concurrent_transfers, |count| count as usize),
        ..defaults
    };
    let catalog = context.open_catalog()?;
    let jobs = JobManager::new(
        account.client.clone(),
        catalog,
        &context.profile.library_dir,
        options,
    )?;
    jobs.set_signer(signer);
    Ok(jobs)
}

/// Number of uids from which one walk of the account's list is cheaper than one
/// `GET /stream/{uid}` per video: a list page contains up to 1,000 videos.
const PREFETCH_MIN_UIDS: usize = 16;

/// Fetches the account's video list once for a bulk download, so each job skips its own
/// video request. Returns an empty map for a few uids or when the list fails (each job then
/// fetches its video, as usual).
async fn prefetch_videos(jobs: &JobManager, uids: &[String]) -> HashMap<String, Video> {
    if uids.len() < PREFETCH_MIN_UIDS {
        return HashMap::new();
    }
    // TODO: count every page of the walk against the budget, not only the first request.
    jobs.api_budget().acquire().await;
    match jobs.client().list_all(None, |_| {}).await {
        Ok(videos) => {
            let wanted: HashSet<&str> = uids.iter().map(String::as_str).collect();
            videos
                .into_iter()
                .filter(|video| wanted.contains(video.uid.as_str()))
                .map(|video| (video.uid.clone(), video))
                .collect()
        }
        Err(error) => {
            if let offstream_stream::Error::RateLimited { retry_after } = &error {
                jobs.api_budget().record_rate_limit(*retry_after);
            }
            tracing::debug!(
                code = error.code(),
                "could not list the account's videos; each job fetches its own"
            );
            HashMap::new()
        }
    }
}

/// Separates arguments that are or contain signed tokens (a common mix-up, since a private
/// video's URL carries one where the uid goes) from the rest. Returns the 1-based positions of
/// the tokens, so they can be named without being echoed, and the other arguments.
fn split_tokens(arguments: Vec<String>) -> (Vec<usize>, Vec<String>) {
    let mut tokens = Vec::new();
    let mut rest = Vec::new();
    for (index, argument) in arguments.into_iter().enumerate() {
        // A signed URL has the token as one path segment.
        if argument.split(['/', '?', '#']).any(looks_like_token) {
            tokens.push(index + 1);
        } else {
            rest.push(argument);
        }
    }
    (tokens, rest)
}

/// Trims the uids and drops empty and repeated ones, keeping the first occurrence's order.
fn unique(uids: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    uids.into_iter()
        .map(|uid| uid.trim().to_owned())
        .filter(|uid| !uid.is_empty() && seen.insert(uid.clone()))
        .collect()
}

/// Results of the downloads so far.
struct Outcome {
    total: usize,
    saved: usize,
    failures: Vec<ExitClass>,
    /// Set once standard output is closed, so later paths are not written to it.
    output_closed: bool,
}

impl Outcome {
    fn new(total: usize) -> Self {
        Self {
            total,
            saved: 0,
            failures: Vec::new(),
            output_closed: false,
        }
    }

    fn saved(&mut self, uid: &str, id: JobId, item: &LibraryItem) {
        tracing::debug!(uid, job_id = id, item_id = item.id, "file in the library");
        self.saved += 1;
        if self.output_closed {
            return;
        }
        let line = format!("{}\n", item.path.display());
        // The file is in the library either way, so a failed write only stops the printing.
        if let Err(error) = terminal::print_out(&line) {
            self.output_closed = true;
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                terminal::print_error(&format!("cannot write to standard output: {error}"));
            }
        }
    }

    fn cancelled(&mut self, uid: &str, id: JobId, jobs: &JobManager) {
        let message = match kept_part(id, jobs) {
            Some(path) => format!(
                "cancelled: {uid}: the partial file {} is kept; run `offstream download {uid}` again to resume",
                path.display()
            ),
            None => format!("cancelled: {uid}: nothing was downloaded yet"),
        };
        terminal::print_note(&message);
        self.failures.push(ExitClass::Interrupted);
    }

    /// Tells where a failed job's partial file is, so a network failure does not read as lost work.
    fn note_kept_part(&self, uid: &str, id: JobId, jobs: &JobManager) {
        if let Some(path) = kept_part(id, jobs) {
            terminal::print_note(&format!(
                "{uid}: the partial file {} is kept; run `offstream download {uid}` again to resume",
                path.display()
            ));
        }
    }

    /// Reports an argument that is a signed token; its text is a secret, so only its position
    /// is named.
    fn token_argument(&mut self, position: usize) {
        terminal::print_error(&format!(
            "argument {position} is or contains a signed token, not a video uid. Pass the video's uid (32 hexadecimal characters, as `offstream videos` lists it); offstream makes the tokens itself"
        ));
        self.failures.push(ExitClass::Usage);
    }

    fn failed(&mut self, uid: &str, error: EngineError, account: &Account) {
        let code = error.code();
        let mut error = if is_signing_code(code) {
            // The API token is fine here, so the hint on where it is stored would mislead.
            CliError::from(error)
        } else {
            account.explain(error)
        };
        if error.class() == ExitClass::NotFound {
            error = error.with_hint(". Check the uid with `offstream videos`");
        }
        if code == "signing_key_revoked" || code == "signing_key_invalid" {
            error = error.with_hint(
                ". Run `offstream keys remove`, then `offstream keys create` or `offstream keys add`",
            );
        }
        let message = error.message().unwrap_or_default();
        terminal::print_error(&format!("{uid}: {message}"));
        self.failures.push(error.class());
    }

    /// Returns success when every file was saved, else an error of the failures' class.
    fn finish(self) -> Result<(), CliError> {
        let Some(first) = self.failures.first().copied() else {
            return Ok(());
        };
        if self.total > 1 {
            terminal::print_error(&format!(
                "{} of {} downloads failed; {} verified files are in the library",
                self.failures.len(),
                self.total,
                self.saved
            ));
        }
        Err(CliError::reported(failure_class(&self.failures, first)))
    }
}

/// Returns the job's partial file when it still exists on disk.
fn kept_part(id: JobId, jobs: &JobManager) -> Option<std::path::PathBuf> {
    jobs.catalog()
        .job(id)
        .ok()
        .flatten()
        .and_then(|record| record.part_path)
        .filter(|path| path.is_file())
}

/// Returns the exit class for a set of failures: interrupted when the user cancelled, the
/// shared class when all failures agree, else general.
pub(super) fn failure_class(failures: &[ExitClass], first: ExitClass) -> ExitClass {
    if failures.contains(&ExitClass::Interrupted) {
        ExitClass::Interrupted
    } else if failures.iter().all(|class| *class == first) {
        first
    } else {
        ExitClass::General
    }
}

/// Ctrl-C, received as a signal so the default "kill the process" never runs mid-download.
pub(super) struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupts {
    /// Installs the handler.
    pub(super) fn listen() -> Result<Self, CliError> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c();

        let signal = signal.map_err(|error| {
            CliError::new(
                ExitClass::General,
                format!("cannot listen for Ctrl-C: {error}"),
            )
        })?;
        Ok(Self { signal })
    }

    /// Waits for the next Ctrl-C.
    pub(super) async fn recv(&mut self) {
        if self.signal.recv().await.is_none() {
            // The signal stream ended, which Tokio does only at runtime shutdown.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl";

    #[test]
    fn split_tokens_names_positions() {
        let arguments = vec!["abc".to_owned(), TOKEN.to_owned(), "def".to_owned()];
        let (tokens, rest) = split_tokens(arguments);
        assert_eq!(tokens, [2]);
        assert_eq!(rest, ["abc", "def"]);
    }

    #[test]
    fn split_tokens_finds_signed_url() {
        let url = format!("https://customer-x.cloudflarestream.com/{TOKEN}/downloads/default.mp4");
        let (tokens, rest) = split_tokens(vec![url]);
        assert_eq!(tokens, [1]);
        assert!(rest.is_empty());
    }

    #[test]
    fn unique_keeps_first_order() {
        let uids = vec!["b".into(), " a ".into(), "b".into(), "".into(), "a".into()];
        assert_eq!(unique(uids), ["b", "a"]);
    }

    #[test]
    fn failure_class_shared() {
        let failures = [ExitClass::NotFound, ExitClass::NotFound];
        assert_eq!(failure_class(&failures, failures[0]), ExitClass::NotFound);
    }

    #[test]
    fn failure_class_mixed_is_general() {
        let failures = [ExitClass::NotFound, ExitClass::Network];
        assert_eq!(failure_class(&failures, failures[0]), ExitClass::General);
    }

    #[test]
    fn failure_class_interrupt_wins() {
        let failures = [ExitClass::Network, ExitClass::Interrupted];
        assert_eq!(
            failure_class(&failures, failures[0]),
            ExitClass::Interrupted
        );
    }
}
