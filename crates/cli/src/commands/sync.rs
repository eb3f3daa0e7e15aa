//! `offstream sync [--full]`: bring the catalog's mirror of the account's video list up to
//! date and print what changed, as one line on standard output.
//!
//! The mirror is shared with the desktop app, which marks new, renamed and removed videos in
//! its list until the user has seen them. `backup` runs a quick sync itself before its
//! estimate.

use std::sync::Arc;

use offstream_engine::sync::{sync_account, SyncMode, SyncSummary};
use offstream_engine::{ApiBudget, BudgetConfig, Catalog};

use super::output_result;
use crate::context::{Account, Context};
use crate::exit::CliError;
use crate::terminal;

/// Syncs the mirror and prints the summary.
///
/// # Errors
/// Missing or rejected credentials, the API errors of the list calls, and catalog errors.
/// The mirror is unchanged after an error.
pub async fn run(context: &Context, full: bool, quiet: bool) -> Result<(), CliError> {
    let account = context.account().await?;
    let catalog = context.open_catalog()?;
    let budget = ApiBudget::new(BudgetConfig::default());
    let mode = if full {
        SyncMode::Full
    } else {
        SyncMode::Quick
    };

    let summary = sync_mirror(&account, &catalog, &budget, mode, quiet).await?;
    output_result(terminal::print_out(&format!("{}\n", describe(&summary))))
}

/// Syncs the mirror of the account's video list, showing the number of videos listed so far
/// on a terminal.
///
/// # Errors
/// As [`run`].
pub(super) async fn sync_mirror(
    account: &Account,
    catalog: &Arc<Catalog>,
    budget: &ApiBudget,
    mode: SyncMode,
    quiet: bool,
) -> Result<SyncSummary, CliError> {
    let result = sync_account(&account.client, catalog, budget, mode, |listed| {
        if !quiet {
            terminal::show_status(&format!("syncing the video list: {listed} listed"));
        }
    })
    .await;
    terminal::clear_status();

    let summary = result.map_err(|error| account.explain(error))?;
    tracing::debug!(
        total = summary.total,
        added = summary.added,
        api_calls = summary.api_calls,
        "video list synced"
    );
    Ok(summary)
}

/// Returns the summary as one sentence, such as `Synced 50 videos (full sync): 2 new,
/// 1 renamed, 0 changed, 0 removed; 1 API request in 0.2 s.`
pub(super) fn describe(summary: &SyncSummary) -> String {
    let mode = match summary.mode {
        SyncMode::Quick => "quick sync",
        SyncMode::Full => "full sync",
    };
    let requests = if summary.api_calls == 1 {
        "1 API request".to_owned()
    } else {
        format!("{} API requests", summary.api_calls)
    };
    format!(
        "Synced {} videos ({mode}): {} new, {} renamed, {} changed, {} removed; {requests} in {:.1} s.",
        summary.total,
        summary.added,
        summary.renamed,
        summary.changed,
        summary.removed,
        f64::from(summary.elapsed_ms) / 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_counts() {
        let summary = SyncSummary {
            mode: SyncMode::Full,
            total: 50,
            added: 2,
            renamed: 1,
            changed: 0,
            removed: 3,
            api_calls: 1,
            elapsed_ms: 240,
            finished_at: "2024-05-01T00:00:00Z".to_owned(),
        };
        assert_eq!(
            describe(&summary),
            "Synced 50 videos (full sync): 2 new, 1 renamed, 0 changed, 3 removed; 1 API request in 0.2 s."
        );
    }
}
