//! The fuzz targets' bodies (`fuzz/checks/`) run as ordinary tests over seed inputs built from the
//! shared conformance corpus and `config/fora.toml` (as `fuzz/seed.sh` builds them), over the
//! inputs of past findings (`fuzz/regressions/<target>/`), and — with `FUZZ_CORPUS=1` — over the
//! local fuzzing corpus `fuzz/corpus/<target>/` too. CI cannot build the libFuzzer targets within
//! its time budget, so this is how the invariants are checked on every run.

#[path = "../../fuzz/checks/decide.rs"]
mod decide;
#[path = "../../fuzz/checks/parse_set_cookie.rs"]
mod parse_set_cookie;
#[path = "../../fuzz/checks/policy_load.rs"]
mod policy_load;

use std::path::{Path, PathBuf};

use cookie_warden_tests::workspace_file;

/// Every `Set-Cookie` header of the shared corpus, with its request URL.
fn corpus_cases() -> Vec<(String, Vec<u8>)> {
    let path = workspace_file("../shared/corpus/set-cookie-cases.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases: Vec<(String, Vec<u8>)> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let case: serde_json::Value = serde_json::from_str(line).expect("a corpus line is JSON");
            let header = match case["set_cookie_hex"].as_str() {
                Some(hex) => decode_hex(hex),
                None => case["set_cookie"]
                    .as_str()
                    .expect("set_cookie")
                    .as_bytes()
                    .to_vec(),
            };
            let url = case["context"]["request_uri"]
                .as_str()
                .expect("request_uri")
                .to_owned();
            (url, header)
        })
        .collect();
    assert!(cases.len() > 100, "the corpus shrank to {} cases", cases.len());
    cases
}

fn decode_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

/// Committed inputs of past findings, plus the local corpus when `FUZZ_CORPUS=1`.
fn stored_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut inputs = files(&workspace_file(&format!("fuzz/regressions/{target}")));
    if std::env::var_os("FUZZ_CORPUS").is_some_and(|v| v == "1") {
        inputs.extend(files(&workspace_file(&format!("fuzz/corpus/{target}"))));
    }
    inputs
}

/// Runs `check` on one input, naming the input when it fails.
fn run(what: &dyn std::fmt::Display, check: impl FnOnce()) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
    if let Err(panic) = result {
        eprintln!("fuzz body failed on {what}");
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn parse_set_cookie_body_holds_on_the_corpus() {
    let mut count = 0;
    for (url, header) in corpus_cases() {
        for selector in 0..32u8 {
            let mut input = vec![selector | u8::from(url.starts_with("https"))];
            input.extend_from_slice(&header);
            run(&format!("{url} {:?}", String::from_utf8_lossy(&header)), || {
                parse_set_cookie::check(&input);
            });
            count += 1;
        }
    }
    for (path, input) in stored_inputs("parse_set_cookie") {
        run(&path.display(), || {
            parse_set_cookie::check(&input);
        });
        count += 1;
    }
    assert!(count > 3000);
}

/// `[selector] url \n cookie \n set-cookie...` inputs as `fuzz/seed.sh` writes them.
fn decide_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let cases = corpus_cases();
    for (url, header) in &cases {
        for selector in 0..16u8 {
            let mut input = vec![selector];
            input.extend_from_slice(url.as_bytes());
            input.extend_from_slice(b"\n\n");
            input.extend_from_slice(header);
            seeds.push(input);
        }
    }
    let policy = decide::variants().remove(0).policy;
    let names: Vec<String> = policy
        .rules()
        .iter()
        .map(|rule| rule.name().replace('*', "x").replace(['{', '}'], ""))
        .collect();
    let cookie_header: String = names.iter().map(|n| format!("{n}=v; ")).collect::<String>() + "stranger=1";
    let mut urls = vec!["http://fora.se/".to_owned()];
    for scope in &policy.source().scopes {
        for host in &scope.hosts {
            for path in &scope.paths {
                urls.push(format!("https://{host}{}/page", path.trim_end_matches('/')));
            }
        }
    }
    for url in &urls {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for name in &names {
            for attributes in [
                "; Secure; HttpOnly; SameSite=Lax; Path=/",
                "",
                "; Max-Age=99999999; Domain=fora.se",
                "; Max-Age=0",
                "; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=abc",
                "; SameSite=None",
            ] {
                lines.push(format!("{name}=v{attributes}").into_bytes());
            }
        }
        // Every corpus header as if this site had set it.
        lines.extend(cases.iter().map(|(_, header)| header.clone()));
        for selector in 0..16u8 {
            for chunk in lines.chunks(8) {
                let mut input = vec![selector];
                input.extend_from_slice(url.as_bytes());
                input.push(b'\n');
                input.extend_from_slice(cookie_header.as_bytes());
                for line in chunk {
                    input.push(b'\n');
                    input.extend_from_slice(line);
                }
                seeds.push(input);
            }
        }
    }
    seeds
}

#[test]
fn decide_body_holds_on_the_seeds() {
    let variants = decide::variants();
    let seeds = decide_seeds();
    assert!(seeds.len() > 2000, "{} seeds", seeds.len());
    for input in &seeds {
        run(&format!("{:?}", String::from_utf8_lossy(input)), || {
            decide::check(&variants, input);
        });
    }
    for (path, input) in stored_inputs("decide") {
        run(&path.display(), || {
            decide::check(&variants, &input);
        });
    }
}

#[test]
fn policy_load_body_holds_on_the_policies() {
    let mut policies = vec![
        workspace_file("config/fora.toml"),
        workspace_file("config/minimal.toml"),
    ];
    policies.extend(
        files(&workspace_file("crates/cookie-warden-core/tests"))
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p.extension().is_some_and(|e| e == "toml")),
    );
    let mut count = 0;
    for path in &policies {
        let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The whole file, then every prefix at line ends: truncated files of every kind.
        let cuts = text
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .map(|(i, _)| i);
        for cut in cuts.chain([text.len()]) {
            run(&format!("{} cut at {cut}", path.display()), || {
                policy_load::check(&text[..cut]);
            });
            count += 1;
        }
    }
    for (path, input) in stored_inputs("policy_load") {
        run(&path.display(), || {
            policy_load::check(&input);
        });
        count += 1;
    }
    assert!(count > 100);
}
