//! The list requests of a sync: the full walk, or the quick look at videos newer than the
//! mirror. Every request first takes a token of the account's [`ApiBudget`] and is counted.
//!
//! The cursor and tie logic is [`offstream_stream::list::ListWalk`]'s; this module only sends
//! its requests. A 429 blocks the budget for the server's wait and ends the sync with the
//! error, leaving the mirror as it was.

use offstream_stream::list::{ListQuery, ListWalk, VideoPage};
use offstream_stream::{StreamClient, Video};
use time::OffsetDateTime;
use tracing::{debug, warn};

use crate::budget::ApiBudget;
use crate::error::EngineError;

/// The videos a walk found, with what the service reported about the account.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    /// Newest first, each uid once.
    pub videos: Vec<Video>,
    /// Videos in the account, from `include_counts` on the first request, when sent.
    pub account_total: Option<u64>,
    /// False when a tie group larger than a page made the walk step past some videos.
    pub complete: bool,
}

/// Sends the list requests of one sync and counts them.
pub(crate) struct Pager<'a> {
    client: &'a StreamClient,
    budget: &'a ApiBudget,
    page_size: u32,
    calls: u32,
}

impl<'a> Pager<'a> {
    pub fn new(client: &'a StreamClient, budget: &'a ApiBudget, page_size: u32) -> Self {
        Self {
            client,
            budget,
            page_size,
            calls: 0,
        }
    }

    /// Returns the number of requests sent so far.
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// Walks the whole account, newest first.
    ///
    /// # Errors
    /// The first failed request's error, as [`EngineError::Stream`].
    pub async fn walk_all(
        &mut self,
        on_progress: &mut (impl FnMut(usize) + Send),
    ) -> Result<Listing, EngineError> {
        let walk = ListWalk::new(&counted_query(), self.page_size);
        let listing = self.run(walk, on_progress).await?;
        if let Some(total) = listing.account_total {
            if (listing.videos.len() as u64) < total {
                // Deletions during the walk also explain a shortfall, so this is only a hint.
                warn!(
                    account_id = self.client.account_id(),
                    listed = listing.videos.len(),
                    total,
                    "the walk listed fewer videos than the account counted at its start"
                );
            }
        }
        Ok(listing)
    }

    /// Lists the videos created after `newest` whose uid is not in `known`, oldest page first.
    ///
    /// # Errors
    /// As [`Pager::walk_all`].
    pub async fn walk_newer(
        &mut self,
        newest: OffsetDateTime,
        known: impl IntoIterator<Item = String>,
        on_progress: &mut (impl FnMut(usize) + Send),
    ) -> Result<Listing, EngineError> {
        let walk = ListWalk::newer_than(&counted_query(), self.page_size, newest, known);
        self.run(walk, on_progress).await
    }

    async fn run(
        &mut self,
        mut walk: ListWalk,
        on_progress: &mut (impl FnMut(usize) + Send),
    ) -> Result<Listing, EngineError> {
        let mut account_total = None;
        while let Some(query) = walk.next_query() {
            let page = self.fetch(&query).await?;
            account_total = account_total.or(page.total);
            walk.absorb(page)?;
            on_progress(walk.found());
        }
        Ok(Listing {
            complete: walk.is_complete(),
            videos: walk.into_videos(),
            account_total,
        })
    }

    /// Sends one list request after taking a budget token.
    async fn fetch(&mut self, query: &ListQuery) -> Result<VideoPage, EngineError> {
        self.budget.acquire().await;
        self.calls += 1;
        debug!(
            account_id = self.client.account_id(),
            before = query.before.as_deref(),
            after = query.after.as_deref(),
            "listing a page of videos for a sync"
        );

        match self.client.list_page(query).await {
            Ok(page) => Ok(page),
            Err(error) => {
                if let offstream_stream::Error::RateLimited { retry_after } = &error {
                    let wait = self.budget.record_rate_limit(*retry_after);
                    warn!(
                        account_id = self.client.account_id(),
                        wait_secs = wait.as_secs(),
                        "Stream API rate limit reached during a sync; every API call of this account waits"
                    );
                }
                Err(error.into())
            }
        }
    }
}

/// Returns the filters of a sync's walk: the whole account, with its count.
fn counted_query() -> ListQuery {
    ListQuery {
        include_counts: true,
        ..ListQuery::default()
    }
}
