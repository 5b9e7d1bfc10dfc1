//! The command-line arguments of the bench servers: `--listen ADDR` and, for the app, `--policy FILE`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What a bench server was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerArgs {
    /// Where to listen; default `127.0.0.1:0` (a port chosen by the OS).
    pub listen: SocketAddr,
    /// The policy to enforce with `CookieWardenLayer`; `None` serves the bare app.
    pub policy: Option<PathBuf>,
}

impl ServerArgs {
    /// Reads `--listen ADDR` and, when `accepts_policy`, `--policy FILE`.
    ///
    /// # Errors
    /// A message naming the argument when one is unknown, lacks its value, or `ADDR` is no socket address.
    pub fn parse(args: impl IntoIterator<Item = String>, accepts_policy: bool) -> Result<Self, String> {
        let usage = if accepts_policy {
            "--listen ADDR [--policy FILE]"
        } else {
            "--listen ADDR"
        };
        let mut args = args.into_iter();
        let mut parsed = Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            policy: None,
        };
        while let Some(arg) = args.next() {
            match (arg.as_str(), args.next()) {
                ("--listen", Some(value)) => {
                    parsed.listen = value
                        .parse()
                        .map_err(|err| format!("--listen {value:?}: {err}"))?;
                }
                ("--policy", Some(value)) if accepts_policy => parsed.policy = Some(PathBuf::from(value)),
                (name @ ("--listen" | "--policy"), None) if accepts_policy || name == "--listen" => {
                    return Err(format!("{name} needs a value; usage: {usage}"));
                }
                (other, _) => return Err(format!("unknown argument {other:?}; usage: {usage}")),
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::ServerArgs;

    fn parse(list: &[&str], accepts_policy: bool) -> Result<ServerArgs, String> {
        ServerArgs::parse(list.iter().map(|arg| (*arg).to_owned()), accepts_policy)
    }

    #[test]
    fn defaults_to_an_os_chosen_loopback_port_and_no_policy() {
        let args = parse(&[], true).unwrap();
        assert_eq!(args.listen.to_string(), "127.0.0.1:0");
        assert_eq!(args.policy, None);
    }

    #[test]
    fn takes_the_given_address_and_policy() {
        let args = parse(
            &["--listen", "127.0.0.1:9000", "--policy", "config/fora.toml"],
            true,
        )
        .unwrap();
        assert_eq!(args.listen.port(), 9000);
        assert_eq!(args.policy.unwrap().to_str(), Some("config/fora.toml"));
    }

    #[test]
    fn rejects_bad_input_naming_it() {
        assert!(
            parse(&["--listen", "nope"], false)
                .unwrap_err()
                .contains("--listen \"nope\"")
        );
        assert!(
            parse(&["--listen"], false)
                .unwrap_err()
                .contains("--listen needs a value")
        );
        assert!(
            parse(&["--policy"], true)
                .unwrap_err()
                .contains("--policy needs a value")
        );
        assert!(parse(&["--port", "1"], true).unwrap_err().contains("\"--port\""));
    }

    #[test]
    fn the_upstream_takes_no_policy() {
        let err = parse(&["--policy", "config/fora.toml"], false).unwrap_err();
        assert!(err.contains("unknown argument \"--policy\""), "{err}");
        assert!(err.ends_with("usage: --listen ADDR"), "{err}");
    }
}
