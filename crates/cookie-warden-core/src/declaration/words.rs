//! The fixed words of the declaration page, in each language cookie-warden speaks.
//!
//! Everything a visitor reads that the policy does not say itself comes from here: column
//! headings, lifetime classes ("Session cookie", "Temporär cookie (försvinner efter 1 timme)"),
//! category names and durations in words.

use crate::policy::duration::{DAY, HOUR, MINUTE, MONTH, WEEK, YEAR};
use crate::policy::model::Category;

use super::Lang;

/// The fixed words of one language.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Words {
    pub(crate) default_title: &'static str,
    pub(crate) every_scope_title: &'static str,
    pub(crate) every_scope_description: &'static str,
    pub(crate) caption_prefix: &'static str,
    /// Name, purpose, type, category, provider, consent.
    pub(crate) columns: [&'static str; 6],
    pub(crate) consent_required: &'static str,
    pub(crate) consent_not_required: &'static str,
    pub(crate) no_purpose: &'static str,
    pub(crate) first_party: &'static str,
    pub(crate) pattern_glob: &'static str,
    pub(crate) pattern_template: &'static str,
    pub(crate) owner_label: &'static str,
    pub(crate) contact_label: &'static str,
    pub(crate) consent_intro: &'static str,
    pub(crate) no_cookies: &'static str,
    categories: [&'static str; 4],
    session: &'static str,
    persistent: &'static str,
    temporary: &'static str,
    units: [(&'static str, &'static str); 7],
}

const EN: Words = Words {
    default_title: "About cookies",
    every_scope_title: "Cookies on every part of the site",
    every_scope_description: "These cookies may be set anywhere on the site.",
    caption_prefix: "Cookies used",
    columns: ["Name", "Purpose", "Type", "Category", "Provider", "Consent"],
    consent_required: "Required",
    consent_not_required: "Not required",
    no_purpose: "No description",
    first_party: "First party",
    pattern_glob: "name pattern: * stands for any text",
    pattern_template: "name pattern: {…} stands for a varying part",
    owner_label: "This site is run by",
    contact_label: "Questions about cookies",
    consent_intro: "Cookies marked \u{201c}Required\u{201d} in the consent column are only set after you have agreed to them.",
    no_cookies: "No cookies are set here.",
    categories: ["Necessary", "Functional", "Statistics", "Marketing"],
    session: "Session cookie",
    persistent: "Persistent cookie (up to {})",
    temporary: "Temporary cookie (expires after {})",
    units: [
        ("year", "years"),
        ("month", "months"),
        ("week", "weeks"),
        ("day", "days"),
        ("hour", "hours"),
        ("minute", "minutes"),
        ("second", "seconds"),
    ],
};

const SV: Words = Words {
    default_title: "Om cookies",
    every_scope_title: "Cookies på alla delar av webbplatsen",
    every_scope_description: "Dessa cookies kan sättas var som helst på webbplatsen.",
    caption_prefix: "Cookies som används",
    columns: ["Namn", "Beskrivning", "Typ", "Kategori", "Leverantör", "Samtycke"],
    consent_required: "Krävs",
    consent_not_required: "Krävs inte",
    no_purpose: "Ingen beskrivning",
    first_party: "Förstapart",
    pattern_glob: "namnmönster: * står för valfri text",
    pattern_template: "namnmönster: {…} står för en del som varierar",
    owner_label: "Webbplatsen drivs av",
    contact_label: "Frågor om cookies",
    consent_intro: "Cookies där samtycke \u{201d}Krävs\u{201d} sätts först när du har godkänt dem.",
    no_cookies: "Här sätts inga cookies.",
    categories: ["Nödvändig", "Funktionell", "Statistik", "Marknadsföring"],
    session: "Sessionscookie",
    persistent: "Permanent cookie (upp till {})",
    temporary: "Temporär cookie (försvinner efter {})",
    units: [
        ("år", "år"),
        ("månad", "månader"),
        ("vecka", "veckor"),
        ("dag", "dagar"),
        ("timme", "timmar"),
        ("minut", "minuter"),
        ("sekund", "sekunder"),
    ],
};

/// Seconds per unit, largest first, matching [`Words::units`], as the policy's duration parser
/// counts them (a year is 365.25 days, a month a twelfth of that).
const UNIT_SECONDS: [i64; 7] = [YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, 1];

impl Words {
    /// The words of `lang`.
    pub(crate) fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::En => &EN,
            Lang::Sv => &SV,
        }
    }

    /// A category in words.
    pub(crate) fn category(&self, category: Category) -> &'static str {
        let index = Category::ALL.iter().position(|c| *c == category).unwrap_or(0);
        self.categories[index]
    }

    /// "Session cookie" / "Sessionscookie".
    pub(crate) fn session(&self) -> &'static str {
        self.session
    }

    /// A persistent cookie that lives at most `max_seconds`.
    pub(crate) fn persistent(&self, max_seconds: i64) -> String {
        self.persistent.replace("{}", &self.duration(max_seconds, false))
    }

    /// A cookie that expires after `seconds` (`in_months`: the policy wrote the duration in
    /// months, so `12 months` stays "12 months" rather than "1 year").
    pub(crate) fn temporary(&self, seconds: i64, in_months: bool) -> String {
        self.temporary.replace("{}", &self.duration(seconds, in_months))
    }

    /// A duration in words, in the largest unit that measures it exactly (`30 minutes`,
    /// `1 timme`, `400 days`), or in months when `in_months` and it is a whole number of them.
    pub(crate) fn duration(&self, seconds: i64, in_months: bool) -> String {
        let skip = if in_months && seconds % MONTH == 0 { 1 } else { 0 };
        let (count, (one, many)) = UNIT_SECONDS
            .iter()
            .zip(self.units)
            .skip(skip)
            .find(|(unit, _)| seconds >= **unit && seconds % **unit == 0)
            .map_or((seconds, self.units[6]), |(unit, words)| (seconds / unit, words));
        format!("{count} {}", if count == 1 { one } else { many })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_exact_unit() {
        let en = Words::of(Lang::En);
        let sv = Words::of(Lang::Sv);
        assert_eq!(en.duration(30 * 60, false), "30 minutes");
        assert_eq!(sv.duration(3_600, false), "1 timme");
        assert_eq!(sv.duration(12 * MONTH, true), "12 månader");
        assert_eq!(sv.duration(12 * MONTH, false), "1 år");
        assert_eq!(en.duration(3 * MONTH, false), "3 months");
        assert_eq!(en.duration(400 * DAY, false), "400 days");
        assert_eq!(en.duration(365 * DAY, false), "365 days");
        assert_eq!(en.duration(14 * DAY, true), "2 weeks");
        assert_eq!(en.duration(90, false), "90 seconds");
        assert_eq!(en.duration(1, false), "1 second");
        assert_eq!(en.duration(0, false), "0 seconds");
    }

    #[test]
    fn lifetime_classes_in_words() {
        assert_eq!(
            Words::of(Lang::Sv).temporary(3_600, false),
            "Temporär cookie (försvinner efter 1 timme)"
        );
        assert_eq!(
            Words::of(Lang::En).persistent(400 * 86_400),
            "Persistent cookie (up to 400 days)"
        );
        assert_eq!(Words::of(Lang::Sv).session(), "Sessionscookie");
        assert_eq!(Words::of(Lang::Sv).category(Category::Statistics), "Statistik");
    }
}
