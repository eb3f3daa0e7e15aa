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
//!
//! [`ListWalk`] implements that logic as a state machine: the caller sends each request itself, so
//! it can take a rate-limit token or count the calls per page. A walk phase also ends early when
//! a page is shorter than the page size and the service reports `range` 0 (nothing beyond it),
//! which saves the last request that would only repeat the boundary videos.

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
    /// `on_progress` receives the number of videos found so far after every page.
    ///
    /// # Errors
    /// As [`StreamClient::list_all`].
    pub async fn list_all_matching(
        &self,
        filters: &ListQuery,
        page_size: u32,
        mut on_progress: impl FnMut(usize),
    ) -> Result<Vec<Video>, Error> {
        let mut walk = ListWalk::new(filters, page_size);
        while let Some(query) = walk.next_query() {
            let page = self.list_page(&query).await?;
            walk.absorb(page)?;
            on_progress(walk.found());
        }
        Ok(walk.into_videos())
    }
}

/// A walk over the video list, one request at a time, that neither repeats nor drops videos
/// at page boundaries.
///
/// Send each query from [`ListWalk::next_query`] with [`StreamClient::list_page`] and hand the
/// page to [`ListWalk::absorb`], until `next_query` returns `None`. The walk keeps the videos
/// newest first, each uid once.
#[derive(Debug, Clone)]
pub struct ListWalk {
    base: ListQuery,
    page_size: u32,
    seen: HashSet<String>,
    videos: Vec<Video>,
    stage: Stage,
    complete: bool,
}

/// The part of the list the next request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Newest first, with a `before` cursor relative to the oldest `created` seen so far.
    Backward {
        oldest: Option<OffsetDateTime>,
        mode: CursorMode,
    },
    /// Oldest first, with an `after` cursor one microsecond before the newest `created` seen,
    /// so the boundary videos come back under either inclusivity and are dropped by uid.
    Forward {
        newest: OffsetDateTime,
    },
    Done,
}

impl ListWalk {
    /// Starts a walk over every video that matches `filters`, in pages of `page_size` (1 to
    /// 1,000). The cursor and order fields of `filters` are ignored, because the walk sets them.
    pub fn new(filters: &ListQuery, page_size: u32) -> Self {
        Self::starting_at(
            filters,
            page_size,
            Stage::Backward {
                oldest: None,
                mode: CursorMode::Overlap,
            },
            HashSet::new(),
        )
    }

    /// Starts a walk over the videos created after `newest`, oldest first, for a caller that
    /// already has the videos up to `newest`. Videos whose uid is in `known` are dropped, so
    /// [`ListWalk::into_videos`] returns only the others. The cursor starts one microsecond
    /// before `newest`, so videos that share that time and are not in `known` are found too.
    pub fn newer_than(
        filters: &ListQuery,
        page_size: u32,
        newest: OffsetDateTime,
        known: impl IntoIterator<Item = String>,
    ) -> Self {
        Self::starting_at(
            filters,
            page_size,
            Stage::Forward { newest },
            known.into_iter().collect(),
        )
    }

    fn starting_at(
        filters: &ListQuery,
        page_size: u32,
        stage: Stage,
        seen: HashSet<String>,
    ) -> Self {
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        let base = ListQuery {
            asc: false,
            before: None,
            after: None,
            limit: Some(page_size),
            ..filters.clone()
        };
        Self {
            base,
            page_size,
            seen,
            videos: Vec::new(),
            stage,
            complete: true,
        }
    }

    /// Returns the query of the next request, or `None` when the walk is over.
    pub fn next_query(&self) -> Option<ListQuery> {
        match self.stage {
            Stage::Backward { oldest, mode } => Some(ListQuery {
                before: oldest.map(|t| format_cursor(shift(t, mode))),
                ..self.base.clone()
            }),
            Stage::Forward { newest } => Some(ListQuery {
                asc: true,
                after: Some(format_cursor(shift(newest, CursorMode::Past))),
                ..self.base.clone()
            }),
            Stage::Done => None,
        }
    }

    /// Takes the response to the query from [`ListWalk::next_query`] and moves the cursor.
    /// Returns the number of videos the page added.
    ///
    /// # Errors
    /// [`Error::InvalidResponse`] when a video carries a `created` time that is not RFC 3339.
    pub fn absorb(&mut self, page: VideoPage) -> Result<usize, Error> {
        match self.stage {
            Stage::Backward { oldest, mode } => self.absorb_backward(page, oldest, mode),
            Stage::Forward { newest } => self.absorb_forward(page, newest),
            Stage::Done => Ok(0),
        }
    }

    /// Returns the number of videos found so far.
    pub fn found(&self) -> usize {
        self.videos.len()
    }

    /// Returns false when more videos shared one creation time than fit on a page, so the
    /// walk had to step past some of them and may have missed a few.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Returns the videos found, newest first.
    pub fn into_videos(self) -> Vec<Video> {
        self.videos
    }

    fn absorb_backward(
        &mut self,
        page: VideoPage,
        oldest: Option<OffsetDateTime>,
        mode: CursorMode,
    ) -> Result<usize, Error> {
        let page_len = page.videos.len();
        let page_oldest = oldest_created(&page.videos)?;
        let last_page = self.is_last_page(page_len, page.range);
        let added = absorb(page.videos, &mut self.seen, &mut self.videos);
        debug!(
            page_len,
            added,
            total = self.videos.len(),
            "listed a page of videos"
        );

        if added > 0 && !last_page {
            self.stage = Stage::Backward {
                oldest: page_oldest.or(oldest),
                mode: CursorMode::Overlap,
            };
            return Ok(added);
        }
        if added > 0 {
            self.start_forward()?;
            return Ok(added);
        }

        // No new video: either the walk is done, or a tie group fills a whole page.
        let pinned = page_len >= self.page_size as usize && page_oldest == oldest;
        let next_mode = match (pinned, mode) {
            (true, CursorMode::Overlap) => Some(CursorMode::Exact),
            (true, CursorMode::Exact) => {
                warn!(
                    created = ?oldest,
                    page_size = self.page_size,
                    "more videos share one creation time than fit on a page; some may be missing"
                );
                self.complete = false;
                Some(CursorMode::Past)
            }
            _ => None,
        };
        match next_mode {
            Some(mode) => self.stage = Stage::Backward { oldest, mode },
            None => self.start_forward()?,
        }
        Ok(0)
    }

    /// Starts the pass that adds videos created after the newest one seen, which arrived while
    /// the walk ran.
    fn start_forward(&mut self) -> Result<(), Error> {
        self.stage = match newest_created(&self.videos)? {
            Some(newest) => Stage::Forward { newest },
            None => Stage::Done,
        };
        Ok(())
    }

    fn absorb_forward(&mut self, page: VideoPage, newest: OffsetDateTime) -> Result<usize, Error> {
        let page_len = page.videos.len();
        let page_newest = newest_created(&page.videos)?;
        let last_page = self.is_last_page(page_len, page.range);
        let mut fresh = Vec::new();
        let added = absorb(page.videos, &mut self.seen, &mut fresh);
        debug!(
            page_len,
            added,
            total = self.videos.len() + added,
            "listed a page of newer videos"
        );
        if added == 0 {
            self.stage = Stage::Done;
            return Ok(0);
        }

        // The page is oldest first, but the list stays newest first.
        fresh.reverse();
        fresh.append(&mut self.videos);
        self.videos = fresh;
        self.stage = if last_page {
            Stage::Done
        } else {
            Stage::Forward {
                newest: page_newest.unwrap_or(newest),
            }
        };
        Ok(added)
    }

    /// Returns true when the service reports that nothing lies beyond this page: the page is
    /// short and `range` is 0. Either sign alone is not trusted, because a service that caps
    /// pages below the requested size also returns short pages.
    fn is_last_page(&self, page_len: usize, range: Option<u64>) -> bool {
        page_len < self.page_size as usize && range == Some(0)
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

    fn video(uid: &str, created: &str) -> Video {
        serde_json::from_value(serde_json::json!({"uid": uid, "created": created})).unwrap()
    }

    fn page(videos: Vec<Video>, range: Option<u64>) -> VideoPage {
        VideoPage {
            videos,
            total: None,
            range,
        }
    }

    #[test]
    fn walk_ends_on_short_last_page() {
        let mut walk = ListWalk::new(&ListQuery::default(), 10);
        let first = walk.next_query().unwrap();
        assert_eq!(first.before, None);

        let videos = vec![
            video("b", "2024-01-01T00:00:02.000000Z"),
            video("a", "2024-01-01T00:00:01.000000Z"),
        ];
        assert_eq!(walk.absorb(page(videos, Some(0))).unwrap(), 2);
        let forward = walk.next_query().unwrap();
        assert!(forward.asc);
        assert_eq!(
            forward.after.as_deref(),
            Some("2024-01-01T00:00:01.999999Z")
        );

        let again = vec![video("b", "2024-01-01T00:00:02.000000Z")];
        assert_eq!(walk.absorb(page(again, Some(0))).unwrap(), 0);
        assert!(walk.next_query().is_none());
        assert!(walk.is_complete());
    }

    #[test]
    fn walk_without_range_asks_again() {
        let mut walk = ListWalk::new(&ListQuery::default(), 10);
        let videos = vec![video("a", "2024-01-01T00:00:01.000000Z")];
        walk.absorb(page(videos, None)).unwrap();
        let next = walk.next_query().unwrap();
        assert!(!next.asc);
        assert_eq!(next.before.as_deref(), Some("2024-01-01T00:00:01.000001Z"));
    }

    #[test]
    fn walk_newer_than_drops_known() {
        let newest = OffsetDateTime::parse("2024-01-01T00:00:05.000000Z", &Rfc3339).unwrap();
        let mut walk = ListWalk::newer_than(&ListQuery::default(), 10, newest, ["old".to_owned()]);
        let query = walk.next_query().unwrap();
        assert_eq!(query.after.as_deref(), Some("2024-01-01T00:00:04.999999Z"));

        let videos = vec![
            video("old", "2024-01-01T00:00:05.000000Z"),
            video("new", "2024-01-01T00:00:06.000000Z"),
        ];
        assert_eq!(walk.absorb(page(videos, Some(0))).unwrap(), 1);
        assert!(walk.next_query().is_none());
        let uids: Vec<String> = walk.into_videos().into_iter().map(|v| v.uid).collect();
        assert_eq!(uids, ["new"]);
    }

    #[test]
    fn walk_of_empty_list_is_one_request() {
        let mut walk = ListWalk::new(&ListQuery::default(), 10);
        walk.absorb(page(Vec::new(), Some(0))).unwrap();
        assert!(walk.next_query().is_none());
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
