//! Broken policies: each error names the source, the key path and what is wrong; every error of
//! a policy is reported at once; lint warnings leave the policy loadable.

use cookie_warden_core::policy::{PolicyErrors, from_toml_str};

const HEAD: &str = r#"
version = 1

[[scope]]
id = "public"
hosts = ["example.com"]

[[scope]]
id = "login"
hosts = ["login.example.com"]
paths = ["/auth"]
"#;

fn errors_of(body: &str) -> PolicyErrors {
    let text = format!("{HEAD}\n{body}");
    match from_toml_str("broken.toml", &text) {
        Ok(_) => panic!("this policy should not load:\n{text}"),
        Err(errors) => errors,
    }
}

/// Asserts that some error sits at `key` and its message contains every one of `reasons`.
fn assert_error(errors: &PolicyErrors, key: &str, reasons: &[&str]) {
    let all = errors.to_string();
    let found = errors.errors().iter().find(|e| e.key.to_string() == key);
    let error = found.unwrap_or_else(|| panic!("no error at `{key}` in:\n{all}"));
    for reason in reasons {
        assert!(
            error.message.contains(reason),
            "error at `{key}` lacks {reason:?}:\n{all}"
        );
    }
    assert!(all.contains(&format!("broken.toml: {key}: ")), "{all}");
}

/// (what, policy body after HEAD, key path, reason fragments)
const BROKEN: &[(&str, &str, &str, &[&str])] = &[
    (
        "unknown key in a rule",
        "[[cookie]]\nname = \"sid\"\nlifetime = \"session\"\nhttponly = true\n",
        "cookie[0].httponly",
        &["unknown key `httponly`", "http_only"],
    ),
    (
        "unknown top-level table",
        "[enforcment]\nmode = \"enforce\"\n",
        "enforcment",
        &["unknown key `enforcment`"],
    ),
    (
        "wrong type",
        "[[cookie]]\nname = \"sid\"\nlifetime = \"session\"\nsecure = \"yes\"\n",
        "cookie[0].secure",
        &["wrong type", "string \"yes\"", "bool"],
    ),
    (
        "unknown enum value",
        "[enforcement]\nmode = \"relaxed\"\n",
        "enforcement.mode",
        &["unknown value `relaxed`", "enforce", "report-only"],
    ),
    (
        "missing lifetime",
        "[[cookie]]\nname = \"sid\"\n",
        "cookie[0].lifetime",
        &["missing key `lifetime`"],
    ),
    (
        "undeclared scope",
        "[[cookie]]\nname = \"sid\"\nscopes = [\"public\", \"admin\"]\nlifetime = \"session\"\n",
        "cookie[0].scopes[1]",
        &["scope `admin` is not declared", "`public`, `login`"],
    ),
    (
        "duplicate scope id",
        "[[scope]]\nid = \"public\"\nhosts = [\"www.example.com\"]\n",
        "scope[2].id",
        &["duplicate scope id `public`", "scope[0]"],
    ),
    (
        "duplicate rule, same scope",
        "[[cookie]]\nname = \"sid\"\nscopes = [\"public\"]\nlifetime = \"session\"\n\
         [[cookie]]\nname = \"sid\"\nscopes = [\"login\", \"public\"]\nlifetime = \"1h\"\n",
        "cookie[1].name",
        &["duplicate rule", "`sid`", "cookie[0]"],
    ),
    (
        "duplicate rule, no scopes overlaps everything",
        "[[cookie]]\nname = \"sid\"\nscopes = [\"login\"]\nlifetime = \"session\"\n\
         [[cookie]]\nname = \"sid\"\nlifetime = \"session\"\n",
        "cookie[1].name",
        &["duplicate rule"],
    ),
    (
        "duplicate templates with other placeholder names",
        "[[cookie]]\nname = \"t_{a}\"\nlifetime = \"session\"\n[[cookie]]\nname = \"t_{b}\"\nlifetime = \"session\"\n",
        "cookie[1].name",
        &["duplicate rule", "`t_{b}`", "`t_{a}`"],
    ),
    (
        "invalid name pattern",
        "[[cookie]]\nname = \"refresh_{realm\"\nlifetime = \"session\"\n",
        "cookie[0].name",
        &["invalid name pattern `refresh_{realm`", "closing `}`"],
    ),
    (
        "invalid placeholder regex",
        "[[cookie]]\nname = \"t_{realm}\"\nplaceholders = { realm = \"[A-Z\" }\nlifetime = \"session\"\n",
        "cookie[0].placeholders.realm",
        &["invalid placeholder regex `[A-Z`"],
    ),
    (
        "unused placeholder",
        "[[cookie]]\nname = \"t_{realm}\"\nplaceholders = { org = \"[0-9]+\" }\nlifetime = \"session\"\n",
        "cookie[0].placeholders.org",
        &["placeholder `org` is declared", "no `{org}`"],
    ),
    (
        "__Host- with domains",
        "[[cookie]]\nname = \"__Host-sid\"\ndomains = [\"example.com\"]\nlifetime = \"session\"\n",
        "cookie[0].domains",
        &["__Host- cookie", "cannot have domains"],
    ),
    (
        "__Host- with another path",
        "[[cookie]]\nname = \"__host-sid\"\npath = \"/app\"\nlifetime = \"session\"\n",
        "cookie[0].path",
        &["__Host- cookie", "must be `/`", "`/app`"],
    ),
    (
        "__Host- not secure",
        "[[cookie]]\nname = \"__Host-sid\"\nsecure = false\nlifetime = \"session\"\n",
        "cookie[0].secure",
        &["__Host- cookie", "must be secure"],
    ),
    (
        "__Secure- not secure through defaults",
        "[defaults]\nsecure = false\n[[cookie]]\nname = \"__Secure-id\"\nlifetime = \"session\"\n",
        "cookie[0].secure",
        &["__Secure- cookie", "secure = false in [defaults]"],
    ),
    (
        "duration over max_lifetime",
        "[enforcement]\nmax_lifetime = \"30d\"\n[[cookie]]\nname = \"pref\"\nlifetime = \"12 months\"\n",
        "cookie[0].lifetime",
        &["`12 months`", "longer than max_lifetime (30d)"],
    ),
    (
        "max_lifetime over 400 days",
        "[enforcement]\nmax_lifetime = \"2 years\"\n",
        "enforcement.max_lifetime",
        &["`2 years`", "over 400 days"],
    ),
    (
        "bad lifetime",
        "[[cookie]]\nname = \"sid\"\nlifetime = \"forever\"\n",
        "cookie[0].lifetime",
        &["`forever` is not a duration"],
    ),
    (
        "bad host",
        "[[scope]]\nid = \"admin\"\nhosts = [\"admin.example.com\", \"https://example.com/admin\"]\n",
        "scope[2].hosts[1]",
        &["invalid host `https://example.com/admin`", "scheme"],
    ),
    (
        "bad scope path",
        "[[scope]]\nid = \"admin\"\nhosts = [\"example.com\"]\npaths = [\"admin\"]\n",
        "scope[2].paths[0]",
        &["invalid path `admin`", "starts with `/`"],
    ),
    (
        "block status not an error status",
        "[enforcement]\nblock_status = 302\n",
        "enforcement.block_status",
        &["302", "400–599"],
    ),
    (
        "bad domain",
        "[[cookie]]\nname = \"sid\"\ndomains = [\".example.com\", \"ex ample.com\"]\nlifetime = \"session\"\n",
        "cookie[0].domains[1]",
        &["invalid domain `ex ample.com`"],
    ),
    (
        "empty scopes list",
        "[[cookie]]\nname = \"sid\"\nscopes = []\nlifetime = \"session\"\n",
        "cookie[0].scopes",
        &["empty scopes list", "never match"],
    ),
    (
        "consent cookie pattern",
        "[consent]\ncookie = \"consent_*\"\n",
        "consent.cookie",
        &["invalid consent cookie name `consent_*`", "exact name"],
    ),
    (
        "declaration path",
        "[declaration]\npath = \"cookies\"\n",
        "declaration.path",
        &["invalid path `cookies`"],
    ),
];

#[test]
fn each_broken_policy_names_key_and_reason() {
    assert!(BROKEN.len() >= 15);
    for (what, body, key, reasons) in BROKEN {
        let errors = errors_of(body);
        eprintln!("-- {what}\n{errors}");
        assert_error(&errors, key, reasons);
    }
}

#[test]
fn version_other_than_one() {
    let errors = from_toml_str("broken.toml", "version = 2\n").unwrap_err();
    assert_error(&errors, "version", &["unsupported version 2"]);
    let errors = from_toml_str("broken.toml", "[enforcement]\nmode = \"enforce\"\n").unwrap_err();
    assert_error(&errors, "version", &["missing key `version`"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let errors = errors_of(
        r#"
[enforcement]
mode = "sometimes"
block_status = 200

[[cookie]]
name = "a"
lifetime = 30
colour = "blue"

[[cookie]]
name = "b"
scopes = ["nowhere"]
lifetime = "1 fortnight"
secure = "maybe"

[[cookie]]
name = "__Host-c"
domains = ["example.com"]
lifetime = "session"
"#,
    );
    let text = errors.to_string();
    for key in [
        "enforcement.mode",
        "enforcement.block_status",
        "cookie[0].lifetime",
        "cookie[0].colour",
        "cookie[1].secure",
        "cookie[1].scopes[0]",
        "cookie[1].lifetime",
        "cookie[2].domains",
    ] {
        assert!(
            errors.errors().iter().any(|e| e.key.to_string() == key),
            "missing `{key}` in:\n{text}"
        );
    }
    // A key set aside for a structural error is not reported twice.
    let lifetime0 = errors
        .errors()
        .iter()
        .filter(|e| e.key.to_string() == "cookie[0].lifetime")
        .count();
    assert_eq!(lifetime0, 1, "{text}");
    assert!(
        text.starts_with(&format!("invalid policy: {} errors", errors.len())),
        "{text}"
    );
}

#[test]
fn missing_required_keys_are_reported_once_each_without_follow_on_errors() {
    let errors = errors_of(
        "[[scope]]\nhosts = [\"x.example.com\"]\n[[cookie]]\nlifetime = \"session\"\n[[cookie]]\nlifetime = \"1h\"\n[[cookie]]\nname = \"=missing\"\nlifetime = \"session\"\n",
    );
    assert_error(&errors, "scope[2].id", &["missing key `id`"]);
    assert_error(&errors, "cookie[0].name", &["missing key `name`"]);
    assert_error(&errors, "cookie[1].name", &["missing key `name`"]);
    // A real name that happens to be the loader's stand-in is judged on its own.
    assert_error(&errors, "cookie[2].name", &["cannot appear in a cookie name"]);
    assert_eq!(errors.len(), 4, "{errors}");
}

#[test]
fn a_list_entry_of_the_wrong_type_is_reported_once_with_its_index() {
    let errors = errors_of("[[scope]]\nid = \"x\"\nhosts = [\"a.example.com\", 7]\n");
    assert_error(&errors, "scope[2].hosts[1]", &["wrong type"]);
    assert_eq!(errors.len(), 1, "{errors}");
}

fn lints_of(body: &str) -> Vec<String> {
    let text = format!("{HEAD}\n{body}");
    let loaded = from_toml_str("fine.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    loaded.warnings.iter().map(ToString::to_string).collect()
}

#[test]
fn lints_leave_the_policy_loadable() {
    let lints =
        lints_of("[[cookie]]\nname = \"_pk_id\"\ncategory = \"statistics\"\nlifetime = \"12 months\"\n");
    assert!(
        lints
            .iter()
            .any(|l| l.contains("cookie[0].category") && l.contains("no [consent]")),
        "{lints:?}"
    );

    let lints = lints_of("[[cookie]]\nname = \"pref\"\nlifetime = \"396d\"\n");
    assert!(
        lints
            .iter()
            .any(|l| l.contains("cookie[0].lifetime") && l.contains("longer than 13 months")),
        "{lints:?}"
    );

    let lints = lints_of("[[cookie]]\nname = \"pref\"\nlifetime = \"persistent\"\n");
    assert!(
        lints
            .iter()
            .any(|l| l.contains("persistent") && l.contains("400d")),
        "{lints:?}"
    );
    let lints = lints_of(
        "[enforcement]\nmax_lifetime = \"90d\"\n[[cookie]]\nname = \"pref\"\nlifetime = \"persistent\"\n",
    );
    assert!(lints.is_empty(), "{lints:?}");

    let lints =
        lints_of("[consent]\ncookie = \"consent\"\n[[cookie]]\nname = \"pref\"\nlifetime = \"session\"\n");
    assert!(
        lints
            .iter()
            .any(|l| l.contains("cookie[0].category") && l.contains("no category")),
        "{lints:?}"
    );
}

#[test]
fn a_consent_cookie_that_itself_needs_consent_is_linted() {
    let lints = lints_of(
        "[consent]\ncookie = \"consent\"\n[[cookie]]\nname = \"consent\"\ncategory = \"functional\"\nlifetime = \"session\"\n",
    );
    assert!(
        lints.iter().any(|l| l.contains("cookie[0].category")
            && l.contains("consent cookie `consent` is in category `functional`, which needs consent")),
        "{lints:?}"
    );
    // Functional cookies need no consent here: no lint.
    let lints = lints_of(
        "[consent]\ncookie = \"consent\"\nrequired = [\"statistics\"]\n[[cookie]]\nname = \"consent\"\ncategory = \"functional\"\nlifetime = \"session\"\n",
    );
    assert!(lints.is_empty(), "{lints:?}");
}

#[test]
fn an_unlisted_consent_cookie_and_a_shadowed_scope_are_linted() {
    let lints = lints_of("[consent]\ncookie = \"consent\"\n");
    assert!(
        lints
            .iter()
            .any(|l| l.contains("consent.cookie") && l.contains("`consent` matches no [[cookie]] rule")),
        "{lints:?}"
    );
    let lints = lints_of(
        "[consent]\ncookie = \"consent\"\n[[cookie]]\nname = \"consent\"\ncategory = \"necessary\"\nlifetime = \"session\"\n",
    );
    assert!(lints.is_empty(), "{lints:?}");

    // HEAD declares `public` (example.com, /) first: a later scope under it never matches.
    let lints = lints_of("[[scope]]\nid = \"app\"\nhosts = [\"example.com\"]\npaths = [\"/app\"]\n");
    assert!(
        lints.iter().any(|l| l.contains("scope[2].paths")
            && l.contains("`app` never matches")
            && l.contains("`public`")),
        "{lints:?}"
    );
    let lints = lints_of("[[scope]]\nid = \"sub\"\nhosts = [\"*.login.example.com\"]\n");
    assert!(lints.is_empty(), "{lints:?}");
    let lints =
        lints_of("[[scope]]\nid = \"auth\"\nhosts = [\"login.example.com\"]\npaths = [\"/auth/x\"]\n");
    assert!(
        lints
            .iter()
            .any(|l| l.contains("`auth` never matches") && l.contains("`login`")),
        "{lints:?}"
    );
}

#[test]
fn overlapping_patterns_with_different_requirements_are_linted() {
    let lints = lints_of(
        "[[cookie]]\nname = \"saplb_*\"\nlifetime = \"session\"\n\
         [[cookie]]\nname = \"saplb_main\"\nlifetime = \"1h\"\n\
         [[cookie]]\nname = \"saplb_{node}\"\nlifetime = \"session\"\nhttp_only = false\n\
         [[cookie]]\nname = \"other\"\nlifetime = \"session\"\n",
    );
    assert!(
        lints
            .iter()
            .any(|l| l.contains("cookie[1].name") && l.contains("cookie[0]")),
        "{lints:?}"
    );
    assert!(
        lints
            .iter()
            .any(|l| l.contains("cookie[2].name") && l.contains("cookie[0]")),
        "{lints:?}"
    );
    assert!(!lints.iter().any(|l| l.contains("`other`")), "{lints:?}");

    // The same requirements, or scopes that never meet: nothing to say.
    let lints = lints_of(
        "[[cookie]]\nname = \"saplb_*\"\nlifetime = \"session\"\n\
         [[cookie]]\nname = \"saplb_main\"\nlifetime = \"session\"\n\
         [[cookie]]\nname = \"t_*\"\nscopes = [\"public\"]\nlifetime = \"session\"\n\
         [[cookie]]\nname = \"t_x\"\nscopes = [\"login\"]\nlifetime = \"1h\"\n",
    );
    assert!(lints.is_empty(), "{lints:?}");
}

#[test]
fn a_number_is_never_read_as_an_enum_variant() {
    // `mode = 1` must not become the second variant (`report-only`): a wrong type, named.
    for (body, key) in [
        ("[enforcement]\nmode = 1\n", "enforcement.mode"),
        ("[enforcement]\nmode = 0\n", "enforcement.mode"),
        ("[enforcement]\ndeletions = 1\n", "enforcement.deletions"),
        (
            "[[cookie]]\nname = \"sid\"\nlifetime = \"session\"\nsame_site = 2\n",
            "cookie[0].same_site",
        ),
    ] {
        let errors = errors_of(body);
        assert_error(&errors, key, &["wrong type"]);
    }
}
