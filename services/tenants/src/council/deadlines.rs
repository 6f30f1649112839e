//! Deadlines of the rules of procedure (Geschäftsordnung): by when an invitation must go out,
//! counted back from the meeting in calendar days, working days (Monday to Friday) or
//! Werktage (Monday to Saturday), without the public holidays of the tenant's federal state.
//!
//! The holidays are the statutory ones valid for the whole state. Holidays of single
//! municipalities (Mariä Himmelfahrt in Catholic Bavarian communities, Fronleichnam in parts
//! of Saxony and Thuringia, Augsburger Friedensfest) are not in this table; a tenant of such a
//! municipality needs them as extra days (not built yet).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The sixteen federal states (Länder), by their usual two-letter codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FederalState {
    BW,
    BY,
    BE,
    BB,
    HB,
    HH,
    HE,
    MV,
    NI,
    NW,
    RP,
    SL,
    SN,
    ST,
    SH,
    TH,
}

impl std::str::FromStr for FederalState {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        use FederalState::*;
        Ok(match code.to_ascii_uppercase().as_str() {
            "BW" => BW,
            "BY" => BY,
            "BE" => BE,
            "BB" => BB,
            "HB" => HB,
            "HH" => HH,
            "HE" => HE,
            "MV" => MV,
            "NI" => NI,
            "NW" => NW,
            "RP" => RP,
            "SL" => SL,
            "SN" => SN,
            "ST" => ST,
            "SH" => SH,
            "TH" => TH,
            _ => {
                return Err(format!(
                    "`{code}` is not a federal state; use BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH or TH"
                ));
            }
        })
    }
}

impl FederalState {
    /// The state of a municipality from its Amtlicher Gemeindeschlüssel (the tenant setting
    /// `oparl.ags`): its first two digits.
    pub fn from_ags(ags: &str) -> Option<FederalState> {
        use FederalState::*;
        Some(match ags.get(..2)? {
            "01" => SH,
            "02" => HH,
            "03" => NI,
            "04" => HB,
            "05" => NW,
            "06" => HE,
            "07" => RP,
            "08" => BW,
            "09" => BY,
            "10" => SL,
            "11" => BE,
            "12" => BB,
            "13" => MV,
            "14" => SN,
            "15" => ST,
            "16" => TH,
            _ => return None,
        })
    }
}

/// Easter Sunday of `year` (Gregorian; the anonymous algorithm of Meeus, Jones and Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// The statutory public holidays of `state` in `year`, by date, with their German names.
pub fn public_holidays(year: i32, state: FederalState) -> Vec<(NaiveDate, &'static str)> {
    use FederalState::*;
    let date = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).expect("a fixed holiday");
    let easter = easter_sunday(year);
    let from_easter = |days: i64| easter + chrono::Duration::days(days);
    let mut out = vec![
        (date(1, 1), "Neujahr"),
        (from_easter(-2), "Karfreitag"),
        (from_easter(1), "Ostermontag"),
        (date(5, 1), "Tag der Arbeit"),
        (from_easter(39), "Christi Himmelfahrt"),
        (from_easter(50), "Pfingstmontag"),
        (date(10, 3), "Tag der Deutschen Einheit"),
        (date(12, 25), "1. Weihnachtstag"),
        (date(12, 26), "2. Weihnachtstag"),
    ];
    let mut add = |states: &[FederalState], day: NaiveDate, name: &'static str| {
        if states.contains(&state) {
            out.push((day, name));
        }
    };
    add(&[BW, BY, ST], date(1, 6), "Heilige Drei Könige");
    if year >= 2019 {
        add(&[BE], date(3, 8), "Internationaler Frauentag");
    }
    if year >= 2023 {
        add(&[MV], date(3, 8), "Internationaler Frauentag");
    }
    add(&[BB], easter, "Ostersonntag");
    add(&[BB], from_easter(49), "Pfingstsonntag");
    add(&[BW, BY, HE, NW, RP, SL], from_easter(60), "Fronleichnam");
    add(&[SL], date(8, 15), "Mariä Himmelfahrt");
    if year >= 2019 {
        add(&[TH], date(9, 20), "Weltkindertag");
    }
    add(&[BB, MV, SN, ST, TH], date(10, 31), "Reformationstag");
    if year >= 2018 {
        add(&[HB, HH, NI, SH], date(10, 31), "Reformationstag");
    }
    // The Reformation's 500th anniversary was a holiday everywhere, once.
    if year == 2017 {
        add(
            &[BW, BY, BE, HB, HH, HE, NI, NW, RP, SL, SH],
            date(10, 31),
            "Reformationstag",
        );
    }
    add(&[BW, BY, NW, RP, SL], date(11, 1), "Allerheiligen");
    // The Wednesday before 23 November.
    let nov22 = date(11, 22);
    let back =
        (nov22.weekday().num_days_from_monday() + 7 - Weekday::Wed.num_days_from_monday()) % 7;
    add(
        &[SN],
        nov22 - chrono::Duration::days(back as i64),
        "Buß- und Bettag",
    );
    out.sort();
    out
}

/// How a deadline counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineRule {
    /// Calendar days.
    CalendarDays(u32),
    /// Working days: Monday to Friday, not a public holiday.
    WorkingDays(u32),
    /// Werktage: Monday to Saturday, not a public holiday.
    Werktage(u32),
}

/// Whether `day` counts under `rule` in `state`.
fn counts(day: NaiveDate, rule: DeadlineRule, state: FederalState) -> bool {
    let holiday = || {
        public_holidays(day.year(), state)
            .iter()
            .any(|(d, _)| *d == day)
    };
    match rule {
        DeadlineRule::CalendarDays(_) => true,
        DeadlineRule::WorkingDays(_) => {
            !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holiday()
        }
        DeadlineRule::Werktage(_) => day.weekday() != Weekday::Sun && !holiday(),
    }
}

/// The last day on which something (an invitation) may reach the members so that `rule`'s
/// days lie between it and the meeting: the meeting day itself does not count, the day of
/// receipt does. For 7 calendar days before a Thursday meeting that is the Thursday a week
/// earlier.
pub fn latest_day(meeting: NaiveDate, rule: DeadlineRule, state: FederalState) -> NaiveDate {
    let n = match rule {
        DeadlineRule::CalendarDays(n)
        | DeadlineRule::WorkingDays(n)
        | DeadlineRule::Werktage(n) => n,
    };
    let mut day = meeting;
    let mut counted = 0;
    while counted < n {
        day = day
            .checked_sub_days(Days::new(1))
            .expect("a date after year one");
        if counts(day, rule, state) {
            counted += 1;
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_and_the_holidays_that_follow_it() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2038), d(2038, 4, 25));
        let nw: Vec<NaiveDate> = public_holidays(2026, FederalState::NW)
            .into_iter()
            .map(|(day, _)| day)
            .collect();
        for day in [
            d(2026, 4, 3),
            d(2026, 4, 6),
            d(2026, 5, 14),
            d(2026, 5, 25),
            d(2026, 6, 4),
            d(2026, 11, 1),
        ] {
            assert!(nw.contains(&day), "{day}");
        }
        assert_eq!(nw.len(), 11, "NW has eleven");
        let be = public_holidays(2026, FederalState::BE);
        assert!(
            be.iter()
                .any(|(day, name)| *day == d(2026, 3, 8) && *name == "Internationaler Frauentag")
        );
        assert!(
            !be.iter().any(|(day, _)| *day == d(2026, 6, 4)),
            "no Fronleichnam in Berlin"
        );
        let sn = public_holidays(2026, FederalState::SN);
        assert!(
            sn.iter()
                .any(|(day, name)| *day == d(2026, 11, 18) && *name == "Buß- und Bettag")
        );
        let reformation = |year, state| {
            public_holidays(year, state)
                .iter()
                .any(|(day, _)| *day == d(year, 10, 31))
        };
        assert!(reformation(2017, FederalState::NW), "once everywhere");
        assert!(!reformation(2016, FederalState::NI) && reformation(2018, FederalState::NI));
        assert!(!reformation(2026, FederalState::BY));
    }

    #[test]
    fn deadlines_count_back_from_the_meeting_without_weekends_and_holidays() {
        let meeting = d(2026, 6, 11); // a Thursday, one week after Fronleichnam
        assert_eq!(
            latest_day(meeting, DeadlineRule::CalendarDays(7), FederalState::NW),
            d(2026, 6, 4)
        );
        // Working days: the 10th, 9th, 8th, 5th, (4th is Fronleichnam in NW), 3rd, 2nd, 1st.
        assert_eq!(
            latest_day(meeting, DeadlineRule::WorkingDays(7), FederalState::NW),
            d(2026, 6, 1)
        );
        // In Berlin the 4th is a working day.
        assert_eq!(
            latest_day(meeting, DeadlineRule::WorkingDays(7), FederalState::BE),
            d(2026, 6, 2)
        );
        // Werktage count the Saturday (the 6th).
        assert_eq!(
            latest_day(meeting, DeadlineRule::Werktage(7), FederalState::NW),
            d(2026, 6, 2)
        );
        // Over Easter in Hesse: Easter Monday and Good Friday do not count.
        assert_eq!(
            latest_day(
                d(2026, 4, 8),
                DeadlineRule::WorkingDays(3),
                FederalState::HE
            ),
            d(2026, 4, 1)
        );
        assert_eq!(
            latest_day(meeting, DeadlineRule::CalendarDays(0), FederalState::NW),
            meeting
        );
        assert_eq!("nw".parse::<FederalState>(), Ok(FederalState::NW));
        // Hürtgenwald (05358024) is in North Rhine-Westphalia, Berlin is 11000000.
        assert_eq!(FederalState::from_ags("05358024"), Some(FederalState::NW));
        assert_eq!(FederalState::from_ags("11000000"), Some(FederalState::BE));
        assert_eq!(FederalState::from_ags("17000000"), None);
        assert!(
            "XX".parse::<FederalState>()
                .unwrap_err()
                .contains("federal state")
        );
    }
}
