//! Turns a [`DeliveryFault`] taken from the queue into changes of one delivery response.
//!
//! Persistent faults (`ChangeEtag`, `ReplaceContent`) update the file's override before the
//! response is built, so the request that takes one is the first to see the change. Error and
//! HTML faults replace the response. Range faults change the range outcome, and body faults
//! become a [`BodyFault`] for [`super::transfer`].

use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::delivery::{ErrorPage, Servable};
use super::envelope::{ApiError, INJECTED_FAULT_CODE};
use super::range::RangeOutcome;
use super::transfer::BodyFault;
use super::Shared;
use crate::faults::DeliveryFault;
use crate::rate_limit::RATE_LIMITED_CODE;

/// Body of the [`DeliveryFault::HtmlOk`] page.
const CAPTIVE_PORTAL_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>\
    <body><h1>Sign in to the network</h1><p>Accept the terms of use to continue.</p></body></html>\n";

/// Records the lasting effect of `ChangeEtag` and `ReplaceContent` on the served file.
pub(super) fn apply_persistent(shared: &Arc<Shared>, servable: &Servable, fault: &DeliveryFault) {
    match fault {
        DeliveryFault::ChangeEtag => {
            shared
                .faults
                .update_override(&servable.uid, servable.kind, |file| {
                    file.etag_generation += 1;
                });
        }
        DeliveryFault::ReplaceContent(media) => {
            // A date validator must change too, or an `If-Range` with the old date would
            // splice new bytes onto old ones; dates have whole-second precision.
            let current = shared
                .faults
                .file_override(&servable.uid, servable.kind)
                .and_then(|file| file.last_modified)
                .unwrap_or(servable.last_modified);
            let modified = OffsetDateTime::now_utc().max(current + time::Duration::seconds(1));
            shared
                .faults
                .update_override(&servable.uid, servable.kind, |file| {
                    file.media = Some(media.clone());
                    file.last_modified = Some(modified);
                });
        }
        _ => {}
    }
}

/// Applies earlier `ChangeEtag` and `ReplaceContent` faults to the file about to be served.
pub(super) fn apply_overrides(shared: &Shared, servable: &mut Servable) {
    let Some(file) = shared.faults.file_override(&servable.uid, servable.kind) else {
        return;
    };
    if let Some(media) = file.media {
        servable.media = media;
    }
    if let Some(modified) = file.last_modified {
        servable.last_modified = modified;
    }
    servable.etag_generation = file.etag_generation;
}

/// Returns the response that replaces the file for `Status` and `HtmlOk` faults.
pub(super) fn replacement_response(fault: &DeliveryFault) -> Option<Response> {
    match fault {
        DeliveryFault::Status {
            status,
            retry_after,
            html,
        } => {
            let status = StatusCode::from_u16(*status).expect("validated as 400..=599 when queued");
            let mut response = if *html {
                ErrorPage::new(status, "The server could not deliver this file.").into_response()
            } else {
                let code = if status == StatusCode::TOO_MANY_REQUESTS {
                    RATE_LIMITED_CODE
                } else {
                    INJECTED_FAULT_CODE
                };
                ApiError::new(status, code, "Injected fault").into_response()
            };
            if let Some(seconds) = retry_after {
                let value = HeaderValue::from(*seconds);
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Some(response)
        }
        DeliveryFault::HtmlOk => {
            let mut response = (StatusCode::OK, CAPTIVE_PORTAL_PAGE).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Some(response)
        }
        _ => None,
    }
}

/// Changes the range outcome for `IgnoreRange` and `WrongContentRange`.
pub(super) fn adjust_range(
    fault: Option<&DeliveryFault>,
    outcome: RangeOutcome,
    len: u64,
) -> RangeOutcome {
    let RangeOutcome::Partial { start, end } = outcome else {
        return outcome;
    };
    match fault {
        Some(DeliveryFault::IgnoreRange) => RangeOutcome::Full,
        Some(DeliveryFault::WrongContentRange) => {
            let wrong_start = if start > 0 { 0 } else { (end - start) / 2 };
            if wrong_start == start {
                return outcome;
            }
            RangeOutcome::Partial {
                start: wrong_start,
                end: (wrong_start + (end - start)).min(len),
            }
        }
        _ => outcome,
    }
}

/// Maps a fault with a file offset onto the body that covers `start..end` of the file.
pub(super) fn body_fault(fault: Option<&DeliveryFault>, start: u64, end: u64) -> BodyFault {
    // Bytes of this body before the file offset; `None` when the offset is past the body.
    let before = |offset: u64| (offset < end).then(|| offset.saturating_sub(start));

    match fault {
        Some(DeliveryFault::ResetAt(offset)) => {
            before(*offset).map_or(BodyFault::None, BodyFault::ResetAfter)
        }
        Some(DeliveryFault::SilenceAt(offset)) => {
            before(*offset).map_or(BodyFault::None, BodyFault::SilenceAfter)
        }
        Some(DeliveryFault::CloseAt(offset)) => {
            before(*offset).map_or(BodyFault::None, BodyFault::CloseAfter)
        }
        Some(DeliveryFault::HeadersThenSilence) => BodyFault::SilenceAfter(0),
        Some(DeliveryFault::Trickle { bytes_per_second }) => BodyFault::Trickle(*bytes_per_second),
        _ => BodyFault::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_fault_offsets_are_file_positions() {
        let fault = DeliveryFault::ResetAt(5000);

        assert_eq!(
            body_fault(Some(&fault), 4000, 9000),
            BodyFault::ResetAfter(1000)
        );
        assert_eq!(
            body_fault(Some(&fault), 6000, 9000),
            BodyFault::ResetAfter(0)
        );
        assert_eq!(body_fault(Some(&fault), 0, 5000), BodyFault::None);
    }

    #[test]
    fn adjust_range_wrong_start() {
        let fault = DeliveryFault::WrongContentRange;

        let later = adjust_range(
            Some(&fault),
            RangeOutcome::Partial {
                start: 100,
                end: 200,
            },
            1000,
        );
        let first = adjust_range(
            Some(&fault),
            RangeOutcome::Partial { start: 0, end: 200 },
            1000,
        );

        assert_eq!(later, RangeOutcome::Partial { start: 0, end: 100 });
        assert_eq!(
            first,
            RangeOutcome::Partial {
                start: 100,
                end: 300
            }
        );
    }

    #[test]
    fn adjust_range_ignore_gives_full() {
        let outcome = adjust_range(
            Some(&DeliveryFault::IgnoreRange),
            RangeOutcome::Partial { start: 10, end: 20 },
            100,
        );

        assert_eq!(outcome, RangeOutcome::Full);
    }
}
