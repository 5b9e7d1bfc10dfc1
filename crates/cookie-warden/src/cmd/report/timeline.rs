//! Violations over time: the hourly counts regrouped into buckets of one hour, one day or one
//! week, whichever is the finest that keeps the chart at most [`MAX_BUCKETS`] bars (a day of
//! logs: per hour; a month: per day; a year: per week), with empty buckets filled in.

use std::collections::BTreeMap;

use super::tally::ByAction;

/// The most bars a chart gets.
pub(crate) const MAX_BUCKETS: i64 = 96;

/// A bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket {
    Hour,
    Day,
    Week,
}

impl Bucket {
    /// `hour`, `day` or `week`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Week => "week",
        }
    }

    fn hours(self) -> i64 {
        match self {
            Bucket::Hour => 1,
            Bucket::Day => 24,
            Bucket::Week => 24 * 7,
        }
    }

    /// The finest bucket that covers the hours `first..=last` in at most [`MAX_BUCKETS`] bars.
    pub(crate) fn for_range(first: i64, last: i64) -> Bucket {
        let span = last - first + 1;
        [Bucket::Hour, Bucket::Day]
            .into_iter()
            .find(|b| (span + b.hours() - 1) / b.hours() <= MAX_BUCKETS)
            .unwrap_or(Bucket::Week)
    }

    /// A bucket's label: `2026-12-03 04:00` per hour, `2026-12-03` per day or week (its first day).
    pub(crate) fn label(self, start: i64) -> String {
        let time = jiff::Timestamp::from_second(start).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        match self {
            Bucket::Hour => time.strftime("%Y-%m-%d %H:00").to_string(),
            Bucket::Day | Bucket::Week => time.strftime("%Y-%m-%d").to_string(),
        }
    }
}

/// Hourly counts (keyed by unix hour) as buckets of `bucket` from the hour `first` to `last`:
/// `(bucket start in unix seconds, counts)`, empty buckets included.
pub(crate) fn regroup(
    hours: &BTreeMap<i64, ByAction>,
    bucket: Bucket,
    first: i64,
    last: i64,
) -> Vec<(i64, ByAction)> {
    let size = bucket.hours();
    let start = first - first.rem_euclid(size);
    let count = (last - start) / size + 1;
    let mut out: Vec<(i64, ByAction)> = (0..count).map(|i| ((start + i * size) * 3600, [0; 4])).collect();
    for (hour, counts) in hours.range(first..=last) {
        let index = ((hour - start) / size) as usize;
        for (sum, n) in out[index].1.iter_mut().zip(counts) {
            *sum += n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_chooses_the_bucket() {
        assert_eq!(Bucket::for_range(0, 0), Bucket::Hour);
        assert_eq!(Bucket::for_range(0, 95), Bucket::Hour);
        assert_eq!(Bucket::for_range(0, 96), Bucket::Day);
        assert_eq!(Bucket::for_range(0, 24 * 96 - 1), Bucket::Day);
        assert_eq!(Bucket::for_range(0, 24 * 365), Bucket::Week);
    }

    #[test]
    fn regrouping_fills_gaps_and_sums() {
        let mut hours = BTreeMap::new();
        hours.insert(10, [1, 0, 0, 0]);
        hours.insert(13, [0, 2, 0, 0]);
        let hourly = regroup(&hours, Bucket::Hour, 10, 13);
        assert_eq!(hourly.len(), 4);
        assert_eq!(hourly[3], (13 * 3600, [0, 2, 0, 0]));
        let daily = regroup(&hours, Bucket::Day, 10, 13);
        assert_eq!(daily, vec![(0, [1, 2, 0, 0])]);
        assert_eq!(Bucket::Hour.label(13 * 3600), "1970-01-01 13:00");
    }
}
