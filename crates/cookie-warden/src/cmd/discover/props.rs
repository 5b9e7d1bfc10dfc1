//! Property test: every draft `discover` writes passes `check` (it loads with no error), and the
//! traffic it was drawn from audits clean against it (every header a browser accepts is `allow`, or
//! fixed only for being `ambiguous`), over generated HAR
//! sightings: attributes seen and not seen, SameSite absent / Lax / Strict / None, Secure on and
//! off, session cookies and lifetimes, paths, Domains, name families that become globs, prefixed
//! names, deletions, and several hosts and first path segments.

use std::io::Write as _;

use cookie_warden_core::decision::{Verdict, ViolationKind};
use cookie_warden_core::policy::load::from_toml_str;
use cookie_warden_core::request::RequestContext;
use cookie_warden_core::set_cookie;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::Seen;
use crate::har;

/// One `Set-Cookie` a generated response carries.
#[derive(Debug, Clone)]
struct Sighting {
    url: &'static str,
    name: &'static str,
    secure: bool,
    http_only: bool,
    same_site: Option<&'static str>,
    lifetime: Option<&'static str>,
    path: Option<&'static str>,
    domain: Option<&'static str>,
}

impl Sighting {
    fn header(&self) -> String {
        let mut header = format!("{}=v", self.name);
        for attribute in [self.lifetime, self.path, self.domain].into_iter().flatten() {
            header.push_str("; ");
            header.push_str(attribute);
        }
        if self.secure {
            header.push_str("; Secure");
        }
        if self.http_only {
            header.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site {
            header.push_str("; SameSite=");
            header.push_str(same_site);
        }
        header
    }
}

fn sighting() -> impl Strategy<Value = Sighting> {
    (
        prop::sample::select(vec![
            "https://www.example.se/",
            "https://www.example.se/om-oss",
            "https://minasidor.example.se/irj/portal",
            "https://minasidor.example.se/app/start",
            "https://etjanster.example.se/",
        ]),
        prop::sample::select(vec![
            "sid",
            "lang",
            "adid",
            "lb_a",
            "lb_b",
            "lb_c",
            "lb_d",
            "__Host-csrf",
            "__Secure-t",
            "x.y",
        ]),
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec![None, Some("Lax"), Some("Strict"), Some("None")]),
        prop::sample::select(vec![
            None,
            Some("Max-Age=60"),
            Some("Max-Age=3600"),
            Some("Max-Age=99999999"),
            Some("Max-Age=0"),
            Some("Expires=Sun, 29 Nov 2026 10:30:00 GMT"),
            Some("Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        ]),
        prop::sample::select(vec![None, Some("Path=/"), Some("Path=/irj")]),
        prop::sample::select(vec![None, Some("Domain=example.se")]),
    )
        .prop_map(
            |(url, name, secure, http_only, same_site, lifetime, path, domain)| Sighting {
                url,
                name,
                secure,
                http_only,
                same_site,
                lifetime,
                path,
                domain,
            },
        )
}

/// A HAR file whose entries each set one cookie, with a `Date` of 2026-11-29T10:00:00Z.
fn har_of(sightings: &[Sighting]) -> Value {
    let entries: Vec<Value> = sightings
        .iter()
        .map(|s| {
            json!({
                "startedDateTime": "2026-11-29T10:00:00.000Z",
                "time": 1,
                "request": { "method": "GET", "url": s.url, "httpVersion": "HTTP/1.1", "headers": [],
                             "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0 },
                "response": { "status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                              "headers": [ { "name": "date", "value": "Sun, 29 Nov 2026 10:00:00 GMT" },
                                           { "name": "set-cookie", "value": s.header() } ],
                              "cookies": [], "content": { "size": 0, "mimeType": "text/html" },
                              "redirectURL": "", "headersSize": -1, "bodySize": 0 },
                "cache": {}, "timings": { "send": 0, "wait": 1, "receive": 0 }
            })
        })
        .collect();
    json!({ "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": entries } })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_draft_passes_check_and_audits_its_own_traffic_clean(
        sightings in prop::collection::vec(sighting(), 1..14),
    ) {
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(har_of(&sightings).to_string().as_bytes()).expect("written");
        let path = file.path().to_owned();

        let mut seen = Seen::default();
        let summary = har::read_file(&path, false, |exchange| seen.record(0, &exchange)).expect("the HAR reads");
        seen.entries += summary.entries;
        let draft = seen.draft(std::slice::from_ref(&path));

        // `check`: the draft loads.
        let policy = match from_toml_str("draft.toml", &draft) {
            Ok(loaded) => loaded.policy,
            Err(errors) => {
                let headers: Vec<String> = sightings.iter().map(Sighting::header).collect();
                return Err(TestCaseError::fail(format!("{errors}\n{headers:#?}\n{draft}")));
            }
        };

        // `audit`: every header of the same traffic is allowed.
        har::read_file(&path, false, |exchange| {
            let request = RequestContext {
                url: exchange.request_url(),
                method: &exchange.method,
                gpc: false,
                consent_cookie: None,
            };
            let judge = policy.judge(&request);
            for line in &exchange.set_cookies {
                // A header a browser drops is left out of the draft, and audit calls it malformed.
                if !set_cookie::parse(line.as_bytes(), &request.url).is_accepted() {
                    continue;
                }
                let decision = judge.decide(line.as_bytes(), exchange.now);
                // No rule can let a header that browsers read differently leave unchanged
                // (`ambiguous`, e.g. `__Host-` without `Path=/`): that is all audit may find.
                let only_ambiguous = decision.violations.iter().all(|v| v.kind == ViolationKind::Ambiguous);
                assert!(
                    decision.verdict == Verdict::Allow || (decision.verdict == Verdict::Fix && only_ambiguous),
                    "{line:?} at {} under the draft:\n{draft}\n{decision:?}",
                    exchange.display_url
                );
            }
        })
        .expect("the HAR reads");
    }
}

#[test]
fn a_cookie_without_secure_or_same_site_gets_a_rule_check_accepts() {
    let sightings = [Sighting {
        url: "https://www.example.se/",
        name: "adid",
        secure: false,
        http_only: false,
        same_site: None,
        lifetime: Some("Max-Age=99999999"),
        path: None,
        domain: None,
    }];
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(har_of(&sightings).to_string().as_bytes())
        .expect("written");
    let mut seen = Seen::default();
    har::read_file(file.path(), false, |exchange| seen.record(0, &exchange)).expect("the HAR reads");
    let draft = seen.draft(&[file.path().to_owned()]);
    assert!(
        draft.contains("secure = false\n") && draft.contains("same_site = \"none\"\n"),
        "{draft}"
    );
    if let Err(errors) = from_toml_str("draft.toml", &draft) {
        panic!("{errors}\n{draft}");
    }
}
