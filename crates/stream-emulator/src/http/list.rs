//! `GET /accounts/{account_id}/stream`: the cursor-paged video list.
//!
//! Supported parameters: `asc`, `before`/`end`, `after`/`start`, `limit`, `search`, `creator`,
//! `status`, `video_name` and `include_counts`; others are ignored. When both aliases of a bound
//! are given, both constraints apply. `range` (videos matching the filters and bounds beyond
//! this page) is always sent; `total` (videos matching the filters, bounds ignored) only with
//! `include_counts=true`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::envelope::{success_body, ApiError};
use super::video::video_json;
use super::wire::parse_rfc3339;
use super::Shared;
use crate::model::VideoState;
use crate::store::ListQuery;

/// Lists videos.
pub async fn list_videos(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(pairs) = query
        .map_err(|error| ApiError::invalid_parameter(format!("invalid query string: {error}")))?;
    let request = parse_list_request(&pairs, shared.config.page_limit_max)?;

    let page = shared
        .store()
        .list(&request.query, shared.config.list_bounds);

    let videos: Vec<Value> = page
        .videos
        .iter()
        .map(|video| video_json(video, &shared.origin))
        .collect();
    let mut body = success_body(Value::Array(videos));
    body["range"] = count_json(page.remaining, shared.config.numbers_as_strings);
    if request.include_counts {
        body["total"] = count_json(page.total, shared.config.numbers_as_strings);
    }
    tracing::debug!(
        returned = page.videos.len(),
        remaining = page.remaining,
        "listed videos"
    );
    Ok(Json(body).into_response())
}

fn count_json(count: usize, as_string: bool) -> Value {
    if as_string {
        json!(count.to_string())
    } else {
        json!(count)
    }
}

struct ListRequest {
    query: ListQuery,
    include_counts: bool,
}

fn parse_list_request(
    pairs: &[(String, String)],
    limit_max: usize,
) -> Result<ListRequest, ApiError> {
    let mut query = ListQuery {
        limit: limit_max,
        ..ListQuery::default()
    };
    let mut include_counts = false;

    for (key, value) in pairs {
        // An empty value means "not set", as HTML forms send it.
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "asc" => query.ascending = parse_bool(key, value)?,
            "include_counts" => include_counts = parse_bool(key, value)?,
            "before" | "end" => {
                let bound = parse_time(key, value)?;
                query.before = Some(query.before.map_or(bound, |b| b.min(bound)));
            }
            "after" | "start" => {
                let bound = parse_time(key, value)?;
                query.after = Some(query.after.map_or(bound, |a| a.max(bound)));
            }
            "limit" => query.limit = parse_limit(value, limit_max)?,
            "search" => query.search = Some(value.to_lowercase()),
            "creator" => query.creator = Some(value.clone()),
            "video_name" => query.video_name = Some(value.clone()),
            "status" => {
                let state = value
                    .parse::<VideoState>()
                    .map_err(ApiError::invalid_parameter)?;
                query.status = Some(state);
            }
            _ => {}
        }
    }

    Ok(ListRequest {
        query,
        include_counts,
    })
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ApiError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::invalid_parameter(format!(
            "invalid {key} value {value:?}: use true or false"
        ))),
    }
}

fn parse_time(key: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    parse_rfc3339(value).ok_or_else(|| {
        ApiError::invalid_parameter(format!(
            "invalid {key} value {value:?}: use an RFC 3339 date-time such as \
             2024-01-01T00:00:00.000000Z (percent-encode + as %2B)"
        ))
    })
}

fn parse_limit(value: &str, limit_max: usize) -> Result<usize, ApiError> {
    match value.parse::<usize>() {
        Ok(limit) if (1..=limit_max).contains(&limit) => Ok(limit),
        _ => Err(ApiError::invalid_parameter(format!(
            "invalid limit value {value:?}: use a whole number from 1 to {limit_max}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn parse_defaults_limit_to_max() {
        let request = parse_list_request(&[], 1000).unwrap();

        assert_eq!(request.query.limit, 1000);
    }

    #[test]
    fn parse_applies_both_before_aliases() {
        let input = pairs(&[
            ("before", "2024-01-05T00:00:00Z"),
            ("end", "2024-01-03T00:00:00Z"),
        ]);

        let request = parse_list_request(&input, 1000).unwrap();

        assert_eq!(request.query.before, Some(datetime!(2024-01-03 00:00 UTC)));
    }

    #[test]
    fn parse_rejects_limit_out_of_range() {
        for value in ["0", "1001", "-1", "ten"] {
            let input = pairs(&[("limit", value)]);
            assert!(parse_list_request(&input, 1000).is_err(), "limit={value}");
        }
    }

    #[test]
    fn parse_rejects_unknown_status() {
        let input = pairs(&[("status", "done")]);

        assert!(parse_list_request(&input, 1000).is_err());
    }

    #[test]
    fn parse_rejects_date_with_space() {
        let input = pairs(&[("before", "2024-01-01T00:00:00 01:00")]);

        assert!(parse_list_request(&input, 1000).is_err());
    }
}
