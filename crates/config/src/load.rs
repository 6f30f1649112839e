//! Layering of defaults, file and environment, secrets from files, and unknown-key warnings.

use crate::Settings;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use std::path::{Path, PathBuf};

/// Environment variables with this prefix configure Plenum.
pub const ENV_PREFIX: &str = "PLENUM_";
/// Variables under the prefix that are not configuration keys.
const ENV_NOT_CONFIG: [&str; 1] = ["PLENUM_CONFIG"];
/// Test-suite variables (`PLENUM_TEST_DATABASE_URL`, …) share the prefix but configure tests.
const ENV_TEST_PREFIX: &str = "PLENUM_TEST_";
/// Suffix that turns a key into "read this key's value from the named file".
const FILE_SUFFIX: &str = "_file";

/// The settings and the warnings worth logging once telemetry is up.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("invalid configuration value for `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("invalid configuration: {0}")]
    Rejected(String),
    #[error("cannot read the file {path} named by `{key}`: {message}")]
    SecretFile {
        key: String,
        path: String,
        message: String,
    },
}

/// Loads settings from defaults, the optional TOML `file`, and `env` (normally `std::env::vars()`).
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Loaded, ConfigError> {
    let known = serde_json::to_value(Settings::default()).expect("settings serialise");
    let mut warnings = Vec::new();
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));

    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::File {
                path: path.to_owned(),
                message: "no such file".to_owned(),
            });
        }
        let toml = Toml::file_exact(path);
        let data = toml.data().map_err(|e| ConfigError::File {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        for dict in data.values() {
            for key in unknown_keys(dict, &known) {
                warnings.push(format!(
                    "unknown configuration key `{key}` in {} (ignored)",
                    path.display()
                ));
            }
        }
        figment = figment.merge(toml);
    }

    let mut env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .collect();
    env.sort();
    for (name, value) in env {
        if ENV_NOT_CONFIG.contains(&name.as_str()) || name.starts_with(ENV_TEST_PREFIX) {
            continue;
        }
        let key = env_key(&name);
        if !is_known(&known, &key) {
            warnings.push(format!(
                "unknown environment variable {name}: there is no configuration key `{key}` (ignored)"
            ));
            continue;
        }
        figment = figment.merge(EnvVar { name, key, value });
    }

    // `<key>_file` entries, from the file or the environment, fill `<key>` from that file.
    let merged: Dict = figment
        .extract()
        .map_err(|e| ConfigError::Rejected(render(e)))?;
    for (key, path) in file_references(&merged, "") {
        let contents = std::fs::read_to_string(&path).map_err(|e| ConfigError::SecretFile {
            key: format!("{key}{FILE_SUFFIX}"),
            path: path.clone(),
            message: e.to_string(),
        })?;
        let value = contents.trim_end_matches(['\n', '\r']).to_owned();
        figment = figment.merge(SecretFile { key, path, value });
    }

    let settings: Settings = figment
        .extract()
        .map_err(|e| ConfigError::Rejected(render(e)))?;
    settings.validate()?;
    Ok(Loaded { settings, warnings })
}

fn env_key(name: &str) -> String {
    name[ENV_PREFIX.len()..]
        .to_ascii_lowercase()
        .split("__")
        .collect::<Vec<_>>()
        .join(".")
}

/// figment reports every problem with the key and the source it came from; keep all of them.
fn render(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| e.to_string().replace("\"default.", "\""))
        .collect::<Vec<_>>()
        .join("; ")
}

fn is_known(known: &serde_json::Value, key: &str) -> bool {
    let lookup = |key: &str| {
        let mut node = known;
        for part in key.split('.') {
            match node.get(part) {
                Some(next) => node = next,
                None => return false,
            }
        }
        true
    };
    lookup(key) || key.strip_suffix(FILE_SUFFIX).is_some_and(lookup)
}

fn unknown_keys(dict: &Dict, known: &serde_json::Value) -> Vec<String> {
    fn walk(dict: &Dict, known: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        for (name, value) in dict {
            let key = format!("{prefix}{name}");
            if !is_known(known, &key) {
                out.push(key);
            } else if let Value::Dict(_, inner) = value {
                walk(inner, known, &format!("{key}."), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dict, known, "", &mut out);
    out
}

fn file_references(dict: &Dict, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, value) in dict {
        match value {
            Value::Dict(_, inner) => {
                out.extend(file_references(inner, &format!("{prefix}{name}.")))
            }
            Value::String(_, path) => {
                if let Some(base) = name.strip_suffix(FILE_SUFFIX) {
                    out.push((format!("{prefix}{base}"), path.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// One `PLENUM_*` variable as a figment source, so that an error names the variable.
struct EnvVar {
    name: String,
    key: String,
    value: String,
}

impl Provider for EnvVar {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("environment variable {}", self.name))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        // Same value syntax as figment's own Env provider: numbers, booleans, [arrays].
        let value: Value = self
            .value
            .parse()
            .expect("parsing a figment value is infallible");
        Serialized::default(&self.key, value).data()
    }
}

/// A value read from the file a `<key>_file` entry names.
struct SecretFile {
    key: String,
    path: String,
    value: String,
}

impl Provider for SecretFile {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("file {} (for `{}`)", self.path, self.key))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Serialized::default(&self.key, &self.value).data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LogFormat, ServiceRole};
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn temp_file(contents: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("plenum-config-{}", uuid_like()));
        std::fs::File::create(&path)
            .unwrap()
            .write_all(contents.as_bytes())
            .unwrap();
        path
    }

    fn uuid_like() -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        )
    }

    #[test]
    fn defaults_file_then_environment() {
        let file = temp_file(
            "[server]\nlisten = \"127.0.0.1:9000\"\nservices = [\"tenants\"]\n[database]\npool_size = 3\n",
        );
        let loaded = load(
            Some(&file),
            env(&[
                ("PLENUM_DATABASE__POOL_SIZE", "7"),
                ("PLENUM_TELEMETRY__LOG_FORMAT", "json"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        let s = loaded.settings;
        assert_eq!(s.server.listen.port(), 9000);
        assert_eq!(s.server.services, vec![ServiceRole::Tenants]);
        assert_eq!(s.database.pool_size, 7, "environment wins over the file");
        assert_eq!(s.telemetry.log_format, LogFormat::Json);
        assert_eq!(s.gateway.max_depth, 12, "default kept");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    }

    #[test]
    fn secrets_come_from_files() {
        let secret = temp_file("postgres://u:secret@db/plenum\n");
        let loaded = load(
            None,
            env(&[("PLENUM_DATABASE__URL_FILE", secret.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(
            loaded.settings.database.url.as_deref(),
            Some("postgres://u:secret@db/plenum")
        );
        assert!(!format!("{:?}", loaded.settings).contains("secret"));

        let key = temp_file("k".repeat(40).as_str());
        let file = temp_file(&format!(
            "[internal]\nsigning_key_file = \"{}\"\n",
            key.display()
        ));
        let loaded = load(Some(&file), env(&[])).unwrap();
        assert_eq!(
            loaded.settings.internal.signing_key.as_deref(),
            Some("k".repeat(40).as_str())
        );

        let err = load(
            None,
            env(&[("PLENUM_INTERNAL__SIGNING_KEY_FILE", "/nonexistent/key")]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("internal.signing_key_file"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_warned_about() {
        let file = temp_file("[server]\nlisen = \"x\"\n[nonsense]\na = 1\n");
        let loaded = load(
            Some(&file),
            env(&[
                ("PLENUM_DATABSE__URL", "postgres://x"),
                ("PLENUM_TEST_DATABASE_URL", "ignored"),
            ]),
        )
        .unwrap();
        let all = loaded.warnings.join("\n");
        assert!(all.contains("PLENUM_DATABSE__URL"), "{all}");
        assert!(all.contains("`server.lisen`"), "{all}");
        assert!(all.contains("`nonsense`"), "{all}");
        assert!(!all.contains("PLENUM_TEST_"), "{all}");
    }

    #[test]
    fn invalid_values_name_the_key() {
        let err = load(None, env(&[("PLENUM_DATABASE__POOL_SIZE", "many")])).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("database.pool_size"), "{msg}");
        assert!(msg.contains("PLENUM_DATABASE__POOL_SIZE"), "{msg}");

        let err = load(
            None,
            env(&[("PLENUM_SERVER__SERVICES", "[gateway, mayor]")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("server.services"), "{err}");

        let err = load(None, env(&[("PLENUM_INTERNAL__SIGNING_KEY", "short")])).unwrap_err();
        assert!(err.to_string().contains("internal.signing_key"), "{err}");

        let err = load(
            None,
            env(&[("PLENUM_SERVER__PUBLIC_BASE_URL", "ftp://x.de/")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("server.public_base_url"), "{err}");

        let err = load(Some(Path::new("/nonexistent/plenum.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }
}
