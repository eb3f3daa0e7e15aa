//! Listing videos, one page or the whole account.
//!
//! The list endpoint returns at most 1,000 videos per call and has no page numbers: the only
//! cursor is the creation time (`before`/`end`, `after`/`start`). Whether those bounds are
//! inclusive is not documented, and several videos can share one `created` value, so a naive
//! walk either repeats or silently drops videos at a page boundary.
//!
//! [`StreamClient::list_all`] walks newest-first and sets each `before` cursor one microsecond
//! *after* the oldest `created` of the previous page. The boundary videos then come back again
//! under either inclusivity and are dropped by uid, so ties are never cut. A page that brings no
//! new uid ends the walk. A tie group larger than one page would pin that cursor in place. The
//! walk then retries with the exact time and finally steps one microsecond past it. It logs a
//! warning then, because the service offers no way to reach the rest of such a group.
//! A last pass requests videos created after the newest one seen, so uploads that arrive during
//! the walk are included too.

use std::collections::HashSet;

use reqwest::Method;
use time::format_description::well_known::Rfc3339;
use time::{Duration as TimeDelta, OffsetDateTime};
use tracing::{debug, warn};

use crate::client::StreamClient;
use crate::error::Error;
use crate::types::Video;

/// The largest page the list endpoint returns.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Filters for one list request. Unset fields are not sent.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Partial, case-insensitive match on `meta.name`.
    pub search: Option<String>,
    /// Only videos of this creator id.
    pub creator: Option<String>,
    /// Oldest first when true; the API's default is newest first.
    pub asc: bool,
    /// Only videos created before this RFC 3339 time.
    pub before: Option<String>,
    /// Only videos created after this RFC 3339 time.
    pub after: Option<String>,
    /// Page size, 1 to 1,000; the API defaults to 1,000.
    pub limit: Option<u32>,
    /// Ask for `total`, the number of videos matching the filters.
    pub include_counts: bool,
}

impl ListQuery {
    fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(search) = &self.search {
            pairs.push(("search", search.clone()));
        }
        if let Some(creator) = &self.creator {
            pairs.push(("creator", creator.clone()));
        }
        if self.asc {
            pairs.push(("asc", "true".to_owned()));
        }
        if let Some(before) = &self.before {
            pairs.push(("before", before.clone()));
        }
        if let Some(after) = &self.after {
            pairs.push(("after", after.clone()));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.clamp(1, MAX_PAGE_SIZE).to_string()));
        }
        if self.include_counts {
            pairs.push(("include_counts", "true".to_owned()));
        }
        pairs
    }
}

/// One page of the video list.
#[derive(Debug, Clone)]
pub struct VideoPage {
    pub videos: Vec<Video>,
    /// Videos matching the filters, when `include_counts` was set.
    pub total: Option<u64>,
    /// Videos remaining beyond this page, as the service counts them.
    pub range: Option<u64>,
}

/// The position of the next `before` cursor relative to the oldest `created` time seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CursorMode {
    /// One microsecond after: includes the boundary time under either inclusivity.
    Overlap,
    /// The time itself: moves past a tie group when the bound is exclusive.
    Exact,
    /// One microsecond before: moves past a tie group under either inclusivity.
    Past,
}

impl StreamClient {
    /// Fetches one page of the video list.
    ///
    /// # Errors
    /// [`Error::Auth`] for a rejected token, [`Error::NotFound`] for an unknown account, and the
    /// transport errors of every call.
    pub async fn list_page(&self, query: &ListQuery) -> Result<VideoPage, Error> {
        // A wrong base URL (one without /client/v4) also returns 404, so the message names both.
        let what = format!(
            "account '{}' at API base {}",
            self.account_id(),
            self.api_base()
        );
        let success = self
            .call::<Vec<Video>>(Method::GET, "/stream", &query.to_pairs(), &what)
            .await?;
        Ok(VideoPage {
            videos: success.result,
            total: success.total,
            range: success.range,
        })
    }

    /// Lists every video of the account that matches `search`, newest first, without repeats.
    ///
    /// `on_progress` receives the number of videos found so far after every page.
    ///
    /// # Errors
    /// As [`StreamClient::list_page`], and [`Error::InvalidResponse`] when a video carries a
    /// `created` time that is not RFC 3339.
    pub async fn list_all(
        &self,
        search: Option<&str>,
        on_progress: impl FnMut(usize),
    ) -> Result<Vec<Video>, Error> {
        let filters = ListQuery {
            search: search.map(str::to_owned),
            ..ListQuery::default()
        };
        self.list_all_matching(&filters, MAX_PAGE_SIZE, on_progress)
            .await
    }

    /// Lists every video that matches `filters` in pages of `page_size`, newest first, without
    /// repeats. The cursor and order fields of `filters` are ignored, because the walk sets them.
    ///
    /// # Errors
    /// As [`StreamClient::list_all`].
    pub async fn list_all_matching(
        &self,
        filters: &ListQuery,
        page_size: u32,
        mut on_progress: impl FnMut(usize),
    ) -> Result<Vec<Video>, Error> {
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let base = ListQuery {
            asc: false,
            before: None,
            after: None,
            limit: Some(page_size),
            ..filters.clone()
        };
        let mut seen = HashSet::new();
        let mut videos = Vec::new();

        let mut oldest: Option<OffsetDateTime> = None;
        let mut mode = CursorMode::Overlap;
        loop {
            let before = oldest.map(|t| format_cursor(shift(t, mode)));
            let query = ListQuery {
                before,
                ..base.clone()
            };
            let page = self.list_page(&query).await?;
            let page_len = page.videos.len();
            let page_oldest = oldest_created(&page.videos)?;
            let added = absorb(page.videos, &mut seen, &mut videos);
            debug!(
                page_len,
                added,
                total = videos.len(),
                "listed a page of videos"
            );
            on_progress(videos.len());

            if added > 0 {
                oldest = page_oldest.or(oldest);
                mode = CursorMode::Overlap;
                continue;
            }

            // No new video: either the walk is done, or a tie group fills a whole page.
            let pinned = page_len >= page_size as usize && page_oldest == oldest;
            mode = match (pinned, mode) {
                (true, CursorMode::Overlap) => CursorMode::Exact,
                (true, CursorMode::Exact) => {
                    warn!(
                        created = ?oldest,
                        page_size,
                        "more videos share one creation time than fit on a page; some may be missing"
                    );
                    CursorMode::Past
                }
                _ => break,
            };
        }

        self.catch_up_newer(&base, &mut seen, &mut videos, &mut on_progress)
            .await?;
        Ok(videos)
    }

    /// Adds videos created after the newest one seen, which arrived while the walk ran.
    async fn catch_up_newer(
        &self,
        base: &ListQuery,
        seen: &mut HashSet<String>,
        videos: &mut Vec<Video>,
        on_progress: &mut impl FnMut(usize),
    ) -> Result<(), Error> {
        let Some(mut newest) = newest_created(videos)? else {
            return Ok(());
        };
        loop {
            let query = ListQuery {
                asc: true,
                after: Some(format_cursor(shift(newest, CursorMode::Past))),
                ..base.clone()
            };
            let page = self.list_page(&query).await?;
            let page_newest = newest_created(&page.videos)?;
            let mut fresh = Vec::new();
            if absorb(page.videos, seen, &mut fresh) == 0 {
                return Ok(());
            }
            // Keep the whole list newest first.
            fresh.reverse();
            fresh.append(videos);
            *videos = fresh;
            on_progress(videos.len());
            newest = page_newest.unwrap_or(newest);
        }
    }
}

fn absorb(page: Vec<Video>, seen: &mut HashSet<String>, into: &mut Vec<Video>) -> usize {
    let before = into.len();
    for video in page {
        if seen.insert(video.uid.clone()) {
            into.push(video);
        }
    }
    into.len() - before
}

fn shift(time: OffsetDateTime, mode: CursorMode) -> OffsetDateTime {
    match mode {
        CursorMode::Overlap => time + TimeDelta::microseconds(1),
        CursorMode::Exact => time,
        CursorMode::Past => time - TimeDelta::microseconds(1),
    }
}

fn parse_created(video: &Video) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(&video.created, &Rfc3339).map_err(|e| Error::InvalidResponse {
        request: "GET /stream".to_owned(),
        status: 200,
        detail: format!(
            "video '{}' has an invalid `created` time '{}' ({e})",
            video.uid, video.created
        ),
        excerpt: String::new(),
    })
}

fn oldest_created(videos: &[Video]) -> Result<Option<OffsetDateTime>, Error> {
    let mut oldest = None;
    for video in videos {
        let created = parse_created(video)?;
        oldest = Some(oldest.map_or(created, |o: OffsetDateTime| o.min(created)));
    }
    Ok(oldest)
}

fn newest_created(videos: &[Video]) -> Result<Option<OffsetDateTime>, Error> {
    let mut newest = None;
    for video in videos {
        let created = parse_created(video)?;
        newest = Some(newest.map_or(created, |n: OffsetDateTime| n.max(created)));
    }
    Ok(newest)
}

/// Formats a cursor the way the API writes `created`: UTC with microseconds.
fn format_cursor(time: OffsetDateTime) -> String {
    let utc = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_keeps_microseconds() {
        let time = OffsetDateTime::parse("2024-01-01T00:00:00.000001Z", &Rfc3339).unwrap();
        assert_eq!(format_cursor(time), "2024-01-01T00:00:00.000001Z");
        assert_eq!(
            format_cursor(shift(time, CursorMode::Overlap)),
            "2024-01-01T00:00:00.000002Z"
        );
        assert_eq!(
            format_cursor(shift(time, CursorMode::Past)),
            "2024-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn query_clamps_limit() {
        let query = ListQuery {
            limit: Some(5000),
            ..ListQuery::default()
        };
        assert!(query.to_pairs().contains(&("limit", "1000".to_owned())));
    }
}
