//! Time formats on the wire: RFC 3339 with microseconds for the API, IMF-fixdate for HTTP headers.

use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const API_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

const HTTP_DATE: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Formats a time like the real API: `2024-01-01T00:00:00.000000Z`.
pub fn api_time(time: OffsetDateTime) -> String {
    time.to_offset(UtcOffset::UTC)
        .format(API_TIME)
        .expect("formatting a UTC time with a fixed description succeeds")
}

/// Formats a time for `Last-Modified`: `Mon, 01 Jan 2024 00:00:00 GMT`.
pub fn http_date(time: OffsetDateTime) -> String {
    time.to_offset(UtcOffset::UTC)
        .format(HTTP_DATE)
        .expect("formatting a UTC time with a fixed description succeeds")
}

/// Parses an RFC 3339 date-time such as `2024-01-01T00:00:00.5+02:00`.
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn api_time_has_microseconds() {
        let time = datetime!(2024-01-01 00:00:00.5 UTC);

        assert_eq!(api_time(time), "2024-01-01T00:00:00.500000Z");
    }

    #[test]
    fn api_time_converts_to_utc() {
        let time = datetime!(2024-01-01 02:00:00 +02:00);

        assert_eq!(api_time(time), "2024-01-01T00:00:00.000000Z");
    }

    #[test]
    fn http_date_imf_fixdate() {
        let time = datetime!(2024-01-01 08:05:09 UTC);

        assert_eq!(http_date(time), "Mon, 01 Jan 2024 08:05:09 GMT");
    }

    #[test]
    fn parse_rfc3339_round_trip() {
        let time = datetime!(2024-03-04 05:06:07.123456 UTC);

        assert_eq!(parse_rfc3339(&api_time(time)), Some(time));
    }
}
