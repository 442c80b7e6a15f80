//! The proleptic Gregorian calendar, as day counts since 1970-01-01 (Howard Hinnant's
//! algorithms: eras of 400 years, years that start on March 1st so that a leap day ends each).

/// Seconds in a day (days here have no leap seconds, as in Unix time).
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Milliseconds in a day.
pub const MILLIS_PER_DAY: i64 = SECONDS_PER_DAY * 1000;

/// Whether `year` has a February 29th.
pub fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days of `month` (1 to 12) in `year`; 31 for a month outside 1 to 12.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date. `month` is 1 to 12; the date is not
/// checked (see [`epoch_seconds`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // year of era, 0..=399
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // day of era, 0..=146096
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month, day) of a day count since 1970-01-01; the
/// inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift to a calendar that starts on 0000-03-01 so that leap days end each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1st
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Epoch seconds of a UTC date and time, or `None` if the month, the day, the hour (above 23),
/// the minute or the second (above 59) is out of range. The fields are not checked for being
/// negative (as SigV4's date parsers never checked them).
pub fn epoch_seconds(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Option<i64> {
    if !(1..=12).contains(&month) {
        return None;
    }
    let month = month as u32;
    let month_days = i64::from(days_in_month(year, month));
    if !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(
        days_from_civil(year, month, day as u32) * SECONDS_PER_DAY
            + hour * 3600
            + minute * 60
            + second,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 0000-03-01, the day the algorithms' eras start on.
    const ERA_START: i64 = -719_468;

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_from_civil(0, 3, 1), ERA_START);
        assert_eq!(civil_from_days(ERA_START - 1), (0, 2, 29)); // year 0 is a leap year
        assert_eq!(days_from_civil(2400, 12, 31), 157_419);
        assert!(is_leap(2000) && is_leap(2024) && is_leap(2400) && is_leap(0) && is_leap(-4));
        assert!(!is_leap(1900) && !is_leap(2100) && !is_leap(2021) && !is_leap(-1));
    }

    /// Walks the calendar one day at a time from 1600-01-01 to 2400-12-31, counting days the
    /// long way, and checks both conversions on every day.
    #[test]
    fn every_day_from_1600_to_2400() {
        let mut days = days_from_civil(1600, 1, 1);
        assert_eq!(days, -135_140);
        for year in 1600..=2400 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(
                        days_from_civil(year, month, day),
                        days,
                        "{year}-{month}-{day}"
                    );
                    assert_eq!(civil_from_days(days), (year, month, day));
                    days += 1;
                }
            }
        }
        assert_eq!(days, days_from_civil(2401, 1, 1));
    }

    #[test]
    fn epoch_seconds_checks_the_date() {
        assert_eq!(epoch_seconds(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(epoch_seconds(2000, 2, 29, 23, 59, 59), Some(951_868_799));
        assert_eq!(epoch_seconds(2100, 2, 29, 0, 0, 0), None);
        assert_eq!(epoch_seconds(2015, 13, 30, 0, 0, 0), None);
        assert_eq!(epoch_seconds(2015, 0, 30, 0, 0, 0), None);
        assert_eq!(epoch_seconds(2015, 4, 31, 0, 0, 0), None);
        assert_eq!(epoch_seconds(2015, 4, 30, 24, 0, 0), None);
        assert_eq!(epoch_seconds(2015, 4, 30, 0, 60, 0), None);
        assert_eq!(epoch_seconds(2015, 4, 30, 0, 0, 60), None);
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn dates_round_trip(year in -3000i64..=3000, month in 1u32..=12, day in 1u32..=31) {
            prop_assume!(day <= days_in_month(year, month));
            prop_assert_eq!(civil_from_days(days_from_civil(year, month, day)), (year, month, day));
        }

        #[test]
        fn seconds_round_trip(t in -100_000_000_000i64..100_000_000_000) {
            let (y, m, d) = civil_from_days(t.div_euclid(SECONDS_PER_DAY));
            let s = t.rem_euclid(SECONDS_PER_DAY);
            let back = epoch_seconds(y, i64::from(m), i64::from(d), s / 3600, s % 3600 / 60, s % 60);
            prop_assert_eq!(back, Some(t));
        }
    }
}
