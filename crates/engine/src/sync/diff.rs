//! Compares a listing of the account with the mirror and decides what each row becomes.
//!
//! Rules, per video:
//! - a uid the mirror lacks is added and marked `new` (except on an account's first sync,
//!   where every video is new and a mark would carry no information);
//! - a changed display name counts as a rename and marks the row `renamed`, keeping the name
//!   the user last acknowledged in `previous_name`. A rename back to that name clears the mark,
//!   and a `new` mark stays `new`;
//! - a change of any [`TrackedFields`] field counts as `changed` and leaves the mark alone;
//! - a row missing from a complete full walk is marked `removed`. A removed video that is
//!   listed again loses its `removed` mark.
//!
//! The module is pure: the catalog reads the mirror, calls [`plan`] and writes the result in
//! one transaction.

use std::collections::{HashMap, HashSet};

use offstream_stream::Video;

use super::VideoChange;

/// The fields of a video whose change counts as `changed` in a sync summary. `modified` is
/// left out, because a rename also moves it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrackedFields {
    pub creator: Option<String>,
    pub duration: Option<f64>,
    pub size: Option<u64>,
    pub state: String,
    pub ready_to_stream: bool,
    pub require_signed_urls: bool,
    pub live_input: Option<String>,
}

impl TrackedFields {
    /// Returns the tracked fields of a listed video.
    pub fn of(video: &Video) -> Self {
        Self {
            creator: video.creator.clone(),
            duration: video.duration,
            size: video.size,
            state: video.status.state.as_str().to_owned(),
            ready_to_stream: video.ready_to_stream,
            require_signed_urls: video.require_signed_urls,
            live_input: video.live_input.clone(),
        }
    }
}

/// The mirror's data on one video, as far as the comparison needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MirrorRow {
    /// The display name at the last sync.
    pub name: String,
    pub fields: TrackedFields,
    pub change: Option<VideoChange>,
    pub previous_name: Option<String>,
    /// True when a sync found the video gone from Stream.
    pub removed: bool,
}

/// The conclusions a sync may draw from its listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope {
    /// The listing is the whole account, so a row it lacks was deleted on Stream.
    pub removals: bool,
    /// The mirror already held this account, so new videos get a mark.
    pub mark_new: bool,
}

/// The row one listed video becomes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Upsert<'a> {
    pub video: &'a Video,
    pub change: Option<VideoChange>,
    pub previous_name: Option<String>,
}

/// The numbers a sync summary reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChangeCounts {
    pub added: u32,
    pub renamed: u32,
    pub changed: u32,
    pub removed: u32,
}

/// The writes of one sync: every listed video, and the uids to mark removed (sorted).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan<'a> {
    pub upserts: Vec<Upsert<'a>>,
    pub removed: Vec<String>,
    pub counts: ChangeCounts,
}

/// Compares `listed` (each uid once) with the account's rows in `mirror` (by uid).
pub(crate) fn plan<'a>(
    mirror: &HashMap<String, MirrorRow>,
    listed: &'a [Video],
    scope: Scope,
) -> Plan<'a> {
    let mut counts = ChangeCounts::default();
    let mut upserts = Vec::with_capacity(listed.len());

    for video in listed {
        let upsert = match mirror.get(&video.uid) {
            None => {
                counts.added += 1;
                Upsert {
                    video,
                    change: scope.mark_new.then_some(VideoChange::New),
                    previous_name: None,
                }
            }
            Some(row) => compare(row, video, &mut counts),
        };
        upserts.push(upsert);
    }

    let removed = if scope.removals {
        missing_uids(mirror, listed)
    } else {
        Vec::new()
    };
    counts.removed = saturating_u32(removed.len());

    Plan {
        upserts,
        removed,
        counts,
    }
}

/// Decides the mark of a video the mirror already contains and counts its changes.
fn compare<'a>(row: &MirrorRow, video: &'a Video, counts: &mut ChangeCounts) -> Upsert<'a> {
    // A listed video is on Stream, whatever an earlier sync concluded.
    let (mut change, mut previous_name) = match row.change {
        Some(VideoChange::Removed) | None => (None, None),
        Some(mark) => (Some(mark), row.previous_name.clone()),
    };

    let name = video.display_name();
    if row.name != name {
        counts.renamed += 1;
        if change != Some(VideoChange::New) {
            // The name the user last acknowledged: the one before the first unacknowledged rename.
            let acknowledged = previous_name.take().unwrap_or_else(|| row.name.clone());
            if acknowledged == name {
                change = None;
            } else {
                change = Some(VideoChange::Renamed);
                previous_name = Some(acknowledged);
            }
        }
    }

    if row.fields != TrackedFields::of(video) {
        counts.changed += 1;
    }

    Upsert {
        video,
        change,
        previous_name,
    }
}

/// Returns the uids of rows still on Stream at the last sync that `listed` lacks, sorted.
fn missing_uids(mirror: &HashMap<String, MirrorRow>, listed: &[Video]) -> Vec<String> {
    let present: HashSet<&str> = listed.iter().map(|video| video.uid.as_str()).collect();
    let mut missing: Vec<String> = mirror
        .iter()
        .filter(|(uid, row)| !row.removed && !present.contains(uid.as_str()))
        .map(|(uid, _)| uid.clone())
        .collect();
    missing.sort();
    missing
}

fn saturating_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: Scope = Scope {
        removals: true,
        mark_new: true,
    };

    fn video(uid: &str, name: &str) -> Video {
        serde_json::from_value(serde_json::json!({
            "uid": uid,
            "meta": {"name": name},
            "created": "2024-01-01T00:00:00.000000Z",
            "duration": 12.5,
            "size": 1000,
            "readyToStream": true,
            "status": {"state": "ready"},
        }))
        .unwrap()
    }

    fn row_of(video: &Video) -> MirrorRow {
        MirrorRow {
            name: video.display_name().to_owned(),
            fields: TrackedFields::of(video),
            change: None,
            previous_name: None,
            removed: false,
        }
    }

    fn mirror_of(videos: &[Video]) -> HashMap<String, MirrorRow> {
        videos
            .iter()
            .map(|video| (video.uid.clone(), row_of(video)))
            .collect()
    }

    #[test]
    fn plan_marks_new_uid() {
        let listed = [video("a", "A")];
        let plan = plan(&HashMap::new(), &listed, FULL);
        assert_eq!(plan.counts.added, 1);
        assert_eq!(plan.upserts[0].change, Some(VideoChange::New));
    }

    #[test]
    fn plan_first_sync_has_no_marks() {
        let listed = [video("a", "A"), video("b", "B")];
        let scope = Scope {
            removals: true,
            mark_new: false,
        };
        let plan = plan(&HashMap::new(), &listed, scope);
        assert_eq!(plan.counts.added, 2);
        assert!(plan.upserts.iter().all(|upsert| upsert.change.is_none()));
    }

    #[test]
    fn plan_unchanged_counts_nothing() {
        let listed = [video("a", "A")];
        let plan = plan(&mirror_of(&listed), &listed, FULL);
        assert_eq!(plan.counts, ChangeCounts::default());
        assert_eq!(plan.upserts[0].change, None);
        assert!(plan.removed.is_empty());
    }

    #[test]
    fn plan_rename_keeps_previous_name() {
        let mirror = mirror_of(&[video("a", "Old")]);
        let listed = [video("a", "New")];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.counts.renamed, 1);
        assert_eq!(plan.counts.changed, 0);
        assert_eq!(plan.upserts[0].change, Some(VideoChange::Renamed));
        assert_eq!(plan.upserts[0].previous_name.as_deref(), Some("Old"));
    }

    #[test]
    fn plan_second_rename_keeps_first_name() {
        let mut mirror = mirror_of(&[video("a", "Second")]);
        let row = mirror.get_mut("a").unwrap();
        row.change = Some(VideoChange::Renamed);
        row.previous_name = Some("First".to_owned());
        let listed = [video("a", "Third")];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.upserts[0].change, Some(VideoChange::Renamed));
        assert_eq!(plan.upserts[0].previous_name.as_deref(), Some("First"));
    }

    #[test]
    fn plan_rename_back_clears_mark() {
        let mut mirror = mirror_of(&[video("a", "Draft")]);
        let row = mirror.get_mut("a").unwrap();
        row.change = Some(VideoChange::Renamed);
        row.previous_name = Some("Original".to_owned());
        let listed = [video("a", "Original")];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.counts.renamed, 1);
        assert_eq!(plan.upserts[0].change, None);
        assert_eq!(plan.upserts[0].previous_name, None);
    }

    #[test]
    fn plan_rename_of_new_stays_new() {
        let mut mirror = mirror_of(&[video("a", "Upload")]);
        mirror.get_mut("a").unwrap().change = Some(VideoChange::New);
        let listed = [video("a", "Final title")];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.counts.renamed, 1);
        assert_eq!(plan.upserts[0].change, Some(VideoChange::New));
        assert_eq!(plan.upserts[0].previous_name, None);
    }

    #[test]
    fn plan_removed_name_is_rename_to_uid() {
        let mirror = mirror_of(&[video("a", "Named")]);
        let mut unnamed = video("a", "");
        unnamed.meta.clear();
        let listed = [unnamed];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.counts.renamed, 1);
        assert_eq!(plan.upserts[0].previous_name.as_deref(), Some("Named"));
    }

    #[test]
    fn plan_counts_field_change_without_mark() {
        let mirror = mirror_of(&[video("a", "A")]);
        let mut changed = video("a", "A");
        changed.require_signed_urls = true;
        let listed = [changed];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.counts.changed, 1);
        assert_eq!(plan.counts.renamed, 0);
        assert_eq!(plan.upserts[0].change, None);
    }

    #[test]
    fn plan_ignores_modified_time() {
        let mirror = mirror_of(&[video("a", "A")]);
        let mut touched = video("a", "A");
        touched.modified = Some("2025-01-01T00:00:00.000000Z".to_owned());
        let listed = [touched];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.counts, ChangeCounts::default());
    }

    #[test]
    fn plan_full_walk_marks_missing() {
        let mirror = mirror_of(&[video("a", "A"), video("b", "B"), video("c", "C")]);
        let listed = [video("b", "B")];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.removed, ["a", "c"]);
        assert_eq!(plan.counts.removed, 2);
    }

    #[test]
    fn plan_quick_keeps_missing() {
        let mirror = mirror_of(&[video("a", "A"), video("b", "B")]);
        let listed = [video("c", "C")];
        let scope = Scope {
            removals: false,
            mark_new: true,
        };
        let plan = plan(&mirror, &listed, scope);
        assert!(plan.removed.is_empty());
        assert_eq!(plan.counts.removed, 0);
        assert_eq!(plan.counts.added, 1);
    }

    #[test]
    fn plan_does_not_remove_twice() {
        let mut mirror = mirror_of(&[video("a", "A")]);
        let row = mirror.get_mut("a").unwrap();
        row.removed = true;
        row.change = Some(VideoChange::Removed);
        let plan = plan(&mirror, &[], FULL);
        assert!(plan.removed.is_empty());
    }

    #[test]
    fn plan_returning_video_clears_removed() {
        let mut mirror = mirror_of(&[video("a", "A")]);
        let row = mirror.get_mut("a").unwrap();
        row.removed = true;
        row.change = Some(VideoChange::Removed);
        let listed = [video("a", "A")];
        let plan = plan(&mirror, &listed, FULL);
        assert_eq!(plan.upserts[0].change, None);
        assert_eq!(plan.counts, ChangeCounts::default());
    }
}
