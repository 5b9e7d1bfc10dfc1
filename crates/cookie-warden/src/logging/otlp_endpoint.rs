//! Where traces go: `--otlp-endpoint`, else the standard OpenTelemetry variables.
//!
//! 1. `--otlp-endpoint URL`, used as it is;
//! 2. `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, used as it is;
//! 3. `OTEL_EXPORTER_OTLP_ENDPOINT`, a base URL to which `/v1/traces` is appended (as the
//!    OpenTelemetry specification says for OTLP/HTTP).
//!
//! An empty value counts as unset. None of them set: no export.

/// The endpoint spans are exported to, and what named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Endpoint {
    /// The OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces`.
    pub(super) url: String,
    /// `--otlp-endpoint` or the variable it came from.
    pub(super) source: &'static str,
}

/// The endpoint from the flag, else from the variables `var` reads.
pub(super) fn resolve(flag: Option<&str>, var: impl Fn(&str) -> Option<String>) -> Option<Endpoint> {
    let set = |value: Option<String>| value.filter(|value| !value.trim().is_empty());
    if let Some(url) = flag.filter(|url| !url.trim().is_empty()) {
        return Some(Endpoint {
            url: url.to_owned(),
            source: "--otlp-endpoint",
        });
    }
    if let Some(url) = set(var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
        return Some(Endpoint {
            url,
            source: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        });
    }
    let base = set(var("OTEL_EXPORTER_OTLP_ENDPOINT"))?;
    Some(Endpoint {
        url: format!("{}/v1/traces", base.trim_end_matches('/')),
        source: "OTEL_EXPORTER_OTLP_ENDPOINT",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn the_flag_wins_then_the_traces_variable_then_the_base_url() {
        let all = [
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/custom"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318"),
        ];
        let flag = resolve(Some("http://flag:4318/v1/traces"), env(&all)).unwrap();
        assert_eq!(flag.url, "http://flag:4318/v1/traces");
        assert_eq!(flag.source, "--otlp-endpoint");

        let traces = resolve(None, env(&all)).unwrap();
        assert_eq!(traces.url, "http://traces:4318/custom");
        assert_eq!(traces.source, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");

        let base = resolve(None, env(&all[1..])).unwrap();
        assert_eq!(base.url, "http://base:4318/v1/traces");
        assert_eq!(base.source, "OTEL_EXPORTER_OTLP_ENDPOINT");
    }

    #[test]
    fn a_base_url_gets_the_traces_path_once() {
        for (base, url) in [
            ("http://c:4318/", "http://c:4318/v1/traces"),
            ("http://c:4318/otlp", "http://c:4318/otlp/v1/traces"),
            ("http://c:4318/otlp/", "http://c:4318/otlp/v1/traces"),
        ] {
            let resolved = resolve(None, env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", base)])).unwrap();
            assert_eq!(resolved.url, url, "{base}");
        }
    }

    #[test]
    fn empty_values_count_as_unset() {
        assert_eq!(resolve(None, env(&[])), None);
        assert_eq!(resolve(Some(""), env(&[])), None);
        let empty = [
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ""),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", " "),
        ];
        assert_eq!(resolve(None, env(&empty)), None);
        let base = [
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ""),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ];
        assert_eq!(resolve(None, env(&base)).unwrap().url, "http://c:4318/v1/traces");
    }
}
