//! Dates and times the German way, in the municipality's time zone (Europe/Berlin), for
//! everything Plenum writes in German outside the portal's templates: PDFs, e-mails, minutes.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Europe::Berlin;

const MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Montag",
        Weekday::Tue => "Dienstag",
        Weekday::Wed => "Mittwoch",
        Weekday::Thu => "Donnerstag",
        Weekday::Fri => "Freitag",
        Weekday::Sat => "Samstag",
        Weekday::Sun => "Sonntag",
    }
}

/// "Dienstag, 14. Juni 2011".
pub fn long_date(d: NaiveDate) -> String {
    format!(
        "{}, {}. {} {}",
        weekday(d.weekday()),
        d.day(),
        MONTHS[d.month0() as usize],
        d.year()
    )
}

/// "14.06.2011".
pub fn short_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// "Dienstag, 14. Juni 2011, 17:00 Uhr" in Berlin time.
pub fn date_time(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Berlin);
    format!(
        "{}, {:02}:{:02} Uhr",
        long_date(local.date_naive()),
        local.hour(),
        local.minute()
    )
}

/// "14.06.2011, 17:00 Uhr" in Berlin time.
pub fn short_date_time(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Berlin);
    format!(
        "{}, {:02}:{:02} Uhr",
        short_date(local.date_naive()),
        local.hour(),
        local.minute()
    )
}

/// The Berlin calendar day of an instant.
pub fn local_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Berlin).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_read_the_german_way_in_berlin_time() {
        let summer = Utc.with_ymd_and_hms(2011, 6, 14, 15, 0, 0).unwrap();
        assert_eq!(date_time(summer), "Dienstag, 14. Juni 2011, 17:00 Uhr");
        let winter = Utc.with_ymd_and_hms(2026, 12, 1, 16, 30, 0).unwrap();
        assert_eq!(date_time(winter), "Dienstag, 1. Dezember 2026, 17:30 Uhr");
        // 23:30 UTC on 31 March is already 1 April in Berlin.
        let late = Utc.with_ymd_and_hms(2026, 3, 31, 23, 30, 0).unwrap();
        assert_eq!(
            local_day(late),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        );
        assert_eq!(
            short_date(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()),
            "05.03.2026"
        );
    }
}
