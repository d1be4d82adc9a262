//! The config file: TOML at the platform config dir (`directories`), or the
//! file given with `--config`. Unknown keys are errors that name the key.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::{Scales, SourceOptions};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub orders: SourceOptions,
    pub feedback: SourceOptions,
    pub tickets: SourceOptions,
    pub metrics: MetricsConfig,
    pub scales: ScalesConfig,
    /// Action name -> keys; a listed action's keys replace its defaults.
    pub keys: std::collections::BTreeMap<crate::app::action::Action, Vec<String>>,
    pub ui: UiConfig,
    /// KPI targets (see `metrics::goals`); checked when the file is read.
    pub goals: toml::Table,
    pub alerts: crate::metrics::alerts::AlertRules,
    /// Who is due for a follow-up (`[[followups]]`; none by default).
    pub followups: Vec<crate::metrics::followups::FollowupRule>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// "dark" or "light".
    pub theme: ThemeName,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Fixes the churn window W in days (default: from the purchase cycle).
    pub churn_window_days: Option<u32>,
    /// A customer is at risk when overdue ≥ this many of their own purchase cycles.
    pub at_risk_threshold: f64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            churn_window_days: None,
            at_risk_threshold: 2.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScalesConfig {
    /// 5 (1..5) or 10 (1..10).
    pub csat: u8,
    /// 7 (1..7) or 5 (1..5).
    pub ces: u8,
}

impl Default for ScalesConfig {
    fn default() -> Self {
        ScalesConfig { csat: 5, ces: 7 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read the config file: {message}")]
    Read { file: String, message: String },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// The commented default file printed by `holdfast config --print-default`.
pub const DEFAULT_TOML: &str = include_str!("../assets/default-config.toml");

/// A config file and where it was found.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub path: Option<PathBuf>,
}

impl Config {
    /// The engine's settings: scales and the at-risk threshold.
    pub fn settings(&self) -> crate::metrics::Settings {
        crate::metrics::Settings {
            scales: self.scales(),
            at_risk_threshold: self.metrics.at_risk_threshold,
        }
    }

    pub fn scales(&self) -> Scales {
        Scales {
            csat: self.scales.csat,
            ces: self.scales.ces,
        }
    }

    /// Parses config text; `file` names it in messages. Relative source paths
    /// are taken relative to `base` (the config file's folder).
    pub fn parse(file: &str, text: &str, base: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            file: file.to_string(),
            message,
        };
        if !matches!(config.scales.csat, 5 | 10) {
            return Err(invalid(format!(
                "scales.csat must be 5 or 10, not {}",
                config.scales.csat
            )));
        }
        if !matches!(config.scales.ces, 5 | 7) {
            return Err(invalid(format!(
                "scales.ces must be 7 or 5, not {}",
                config.scales.ces
            )));
        }
        if let Some(w) = config.metrics.churn_window_days
            && w == 0
        {
            return Err(invalid(
                "metrics.churn_window_days must be at least 1".into(),
            ));
        }
        if !(config.metrics.at_risk_threshold.is_finite() && config.metrics.at_risk_threshold > 0.0)
        {
            return Err(invalid(
                "metrics.at_risk_threshold must be a positive number".into(),
            ));
        }
        crate::metrics::goals::parse(&config.goals).map_err(&invalid)?;
        config.alerts.validate().map_err(&invalid)?;
        let mut names = std::collections::HashSet::new();
        for rule in &config.followups {
            rule.validate().map_err(&invalid)?;
            if !names.insert(rule.name()) {
                return Err(invalid(format!(
                    "[[followups]]: two lists are named `{}`; give each a name = \"…\"",
                    rule.name()
                )));
            }
        }
        if let Err(e) = crate::app::keymap::Keymap::with_overrides(&config.keys) {
            return Err(invalid(e.to_string()));
        }
        for (section, opts) in [("feedback", &config.feedback), ("tickets", &config.tickets)] {
            if opts.purchase_statuses.is_some() {
                return Err(invalid(format!(
                    "`purchase_statuses` applies to [orders] only, not [{section}]"
                )));
            }
        }
        for (section, opts) in [("orders", &config.orders), ("tickets", &config.tickets)] {
            if opts.survey.is_some() {
                return Err(invalid(format!(
                    "`survey` applies to [feedback] only, not [{section}]"
                )));
            }
        }
        if let Some(base) = base {
            for opts in [
                &mut config.orders,
                &mut config.feedback,
                &mut config.tickets,
            ] {
                if let Some(list) = &opts.path {
                    let rooted = |p: &PathBuf| {
                        if p.is_relative() && p.as_os_str() != "-" {
                            base.join(p)
                        } else {
                            p.clone()
                        }
                    };
                    opts.path = Some(match list {
                        crate::data::mapping::PathList::One(p) => {
                            crate::data::mapping::PathList::One(rooted(p))
                        }
                        crate::data::mapping::PathList::Many(v) => {
                            crate::data::mapping::PathList::Many(v.iter().map(rooted).collect())
                        }
                    });
                }
            }
        }
        Ok(config)
    }

    /// The goals of the `[goals]` section (checked by `parse`).
    pub fn goals(&self) -> Vec<crate::metrics::goals::Goal> {
        crate::metrics::goals::parse(&self.goals).unwrap_or_default()
    }

    /// The default location of the config file.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "holdfast")
            .map(|d| d.config_dir().join("config.toml"))
    }

    /// Loads `explicit` (which must exist), else the default file if there is one.
    pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match Self::default_path().filter(|p| p.is_file()) {
                Some(p) => p,
                None => return Ok(Loaded::default()),
            },
        };
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
            file: file.clone(),
            message: e.to_string(),
        })?;
        let config = Self::parse(&file, &text, path.parent())?;
        Ok(Loaded {
            config,
            path: Some(path),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_parses_to_the_defaults() {
        assert_eq!(
            Config::parse("d.toml", DEFAULT_TOML, None).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("c.toml", "[orders]\ncolums = {}\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `colums`"), "{err}");
        let err = Config::parse("c.toml", "[metric]\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `metric`"), "{err}");
    }

    #[test]
    fn wrong_type_is_named() {
        let err = Config::parse(
            "c.toml",
            "[metrics]\nchurn_window_days = \"ninety\"\n",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("churn_window_days"), "{err}");
        assert!(err.starts_with("c.toml: "), "{err}");
    }

    #[test]
    fn key_bindings_are_checked() {
        let c = Config::parse("c.toml", "[keys]\nnext_period = [\"n\"]\n", None).unwrap();
        assert_eq!(c.keys[&crate::app::action::Action::NextPeriod], vec!["n"]);
        let err = Config::parse("c.toml", "[keys]\nfly = [\"f\"]\n", None)
            .unwrap_err()
            .to_string();
        // The key's line, the unknown name and the names to use instead.
        assert!(
            err.starts_with("c.toml: TOML parse error at line 2"),
            "{err}"
        );
        assert!(
            err.contains("unknown action `fly` (actions: prev_period, next_period"),
            "{err}"
        );
        let err = Config::parse("c.toml", "[ui]\ntheme = \"pink\"\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("pink"), "{err}");
    }

    #[test]
    fn values_are_checked() {
        assert!(Config::parse("c.toml", "[scales]\ncsat = 7\n", None).is_err());
        assert!(Config::parse("c.toml", "[orders]\nsurvey = \"nps\"\n", None).is_err());
        assert_eq!(
            Config::parse(
                "c.toml",
                "[tickets]\npurchase_statuses = [\"paid\"]\n",
                None
            )
            .unwrap_err()
            .to_string(),
            "c.toml: `purchase_statuses` applies to [orders] only, not [tickets]"
        );
        let c = Config::parse(
            "c.toml",
            "[orders]\npath = \"o.csv\"\ndate_format = \"dmy\"\ndecimal = \"comma\"\n[orders.columns]\namount = \"Sum\"\n",
            Some(Path::new("/data")),
        )
        .unwrap();
        assert_eq!(
            c.orders.path.as_ref().map(|p| p.paths()),
            Some(vec![PathBuf::from("/data/o.csv")])
        );
        assert_eq!(c.orders.columns["amount"], "Sum");
        // Several files: a list, each relative to the config file.
        let c = Config::parse(
            "c.toml",
            "[orders]\npath = [\"jan.csv\", \"/abs/feb.csv\", \"monthly/*.csv\"]\npurchase_statuses = [\"paid\", \"pending\"]\nsheet = \"Orders\"\n",
            Some(Path::new("/data")),
        )
        .unwrap();
        assert_eq!(
            c.orders.path.as_ref().map(|p| p.paths()),
            Some(vec![
                PathBuf::from("/data/jan.csv"),
                PathBuf::from("/abs/feb.csv"),
                PathBuf::from("/data/monthly/*.csv")
            ])
        );
        assert_eq!(
            c.orders.purchase_statuses,
            Some(vec!["paid".to_string(), "pending".to_string()])
        );
        assert_eq!(c.orders.sheet.as_deref(), Some("Orders"));
    }
}
