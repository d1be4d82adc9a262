//! Keys to actions. Pure: `resolve(mode, key)`. Defaults can be replaced per
//! action from the config file's `[keys]` section.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::state::Mode;

/// A key with its modifiers, comparable and printable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeKey,
    pub ctrl: bool,
    pub alt: bool,
}

/// The subset of key codes holdfast binds (ordered for stable help output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    Left,
    Right,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    F(u8),
}

impl Key {
    pub const fn plain(code: KeyCodeKey) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeKey::Char(c),
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => KeyCodeKey::BackTab,
            KeyCode::Backspace => KeyCodeKey::Backspace,
            KeyCode::F(n) => KeyCodeKey::F(n),
            _ => return None,
        };
        // Shift is part of the character itself (`?`, `G`); Shift-Tab is BackTab.
        Some(Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parses `q`, `?`, `left`, `pgdn`, `shift-tab`, `ctrl-c`, `alt-x`, `f1`, `space`.
    pub fn parse(s: &str) -> Option<Key> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower
                .strip_prefix("ctrl-")
                .or_else(|| lower.strip_prefix("c-"))
            {
                ctrl = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower
                .strip_prefix("alt-")
                .or_else(|| lower.strip_prefix("m-"))
            {
                alt = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            // The arrows as the help screen shows them, too.
            "left" | "←" => KeyCodeKey::Left,
            "right" | "→" => KeyCodeKey::Right,
            "up" | "↑" => KeyCodeKey::Up,
            "down" | "↓" => KeyCodeKey::Down,
            "pgup" | "pageup" => KeyCodeKey::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCodeKey::PageDown,
            "home" => KeyCodeKey::Home,
            "end" => KeyCodeKey::End,
            "enter" | "return" => KeyCodeKey::Enter,
            "esc" | "escape" => KeyCodeKey::Esc,
            "tab" => KeyCodeKey::Tab,
            "shift-tab" | "backtab" => KeyCodeKey::BackTab,
            "backspace" => KeyCodeKey::Backspace,
            "space" => KeyCodeKey::Char(' '),
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyCodeKey::F(f[1..].parse().ok()?)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                // A blank is written `space`; other blanks cannot be told apart.
                if chars.next().is_some() || c.is_whitespace() {
                    return None;
                }
                KeyCodeKey::Char(c)
            }
        };
        Some(Key { code, ctrl, alt })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCodeKey::Char(' ') => "space".to_string(),
            KeyCodeKey::Char(c) => c.to_string(),
            KeyCodeKey::Left => "←".into(),
            KeyCodeKey::Right => "→".into(),
            KeyCodeKey::Up => "↑".into(),
            KeyCodeKey::Down => "↓".into(),
            KeyCodeKey::PageUp => "PgUp".into(),
            KeyCodeKey::PageDown => "PgDn".into(),
            KeyCodeKey::Home => "Home".into(),
            KeyCodeKey::End => "End".into(),
            KeyCodeKey::Enter => "Enter".into(),
            KeyCodeKey::Esc => "Esc".into(),
            KeyCodeKey::Tab => "Tab".into(),
            KeyCodeKey::BackTab => "Shift-Tab".into(),
            KeyCodeKey::Backspace => "Backspace".into(),
            KeyCodeKey::F(n) => format!("F{n}"),
        };
        match (self.ctrl, self.alt) {
            (true, true) => format!("Ctrl-Alt-{base}"),
            (true, false) => format!("Ctrl-{base}"),
            (false, true) => format!("Alt-{base}"),
            (false, false) => base,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KeymapError {
    #[error(
        "[keys] {action}: cannot read key \"{key}\" (try q, ?, left, pgdn, shift-tab, ctrl-c, f1)"
    )]
    BadKey { action: String, key: String },
    #[error("[keys]: {key} is bound to both {first} and {second}")]
    Duplicate {
        key: String,
        first: String,
        second: String,
    },
}

/// Bindings of the dashboard; overlays add Esc and Enter handling in `resolve`.
#[derive(Clone, Debug, PartialEq)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

fn c(ch: char) -> Key {
    Key::plain(KeyCodeKey::Char(ch))
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyCodeKey as K;
        let ctrl_c = Key {
            code: K::Char('c'),
            ctrl: true,
            alt: false,
        };
        Keymap {
            bindings: vec![
                (Key::plain(K::Left), Action::PrevPeriod),
                (c('h'), Action::PrevPeriod),
                (Key::plain(K::Right), Action::NextPeriod),
                (c('l'), Action::NextPeriod),
                (Key::plain(K::Home), Action::Earliest),
                (Key::plain(K::End), Action::Latest),
                (c('w'), Action::Week),
                (c('m'), Action::Month),
                (c('q'), Action::Quit),
                (c('Q'), Action::Quarter),
                (c('y'), Action::Year),
                (c('s'), Action::SegmentPicker),
                (c('c'), Action::CohortPicker),
                (c('x'), Action::ClearFilters),
                (Key::plain(K::Tab), Action::FocusNext),
                (Key::plain(K::BackTab), Action::FocusPrev),
                (Key::plain(K::Up), Action::Up),
                (c('k'), Action::Up),
                (Key::plain(K::Down), Action::Down),
                (c('j'), Action::Down),
                (Key::plain(K::PageUp), Action::PageUp),
                (Key::plain(K::PageDown), Action::PageDown),
                (Key::plain(K::Enter), Action::Enter),
                (c('/'), Action::Find),
                (c('v'), Action::Compare),
                (c('['), Action::CompareEarlier),
                (c(']'), Action::CompareLater),
                (c('$'), Action::CohortRevenue),
                (c('<'), Action::CohortEarlierAges),
                (c('>'), Action::CohortLaterAges),
                (c('o'), Action::RiskOrder),
                (c('g'), Action::Goals),
                (c('a'), Action::Alerts),
                (c('d'), Action::Definitions),
                (c('i'), Action::DataQuality),
                (c('e'), Action::Export),
                (c('Y'), Action::Yank),
                (c('r'), Action::Reload),
                (c('?'), Action::Help),
                (Key::plain(K::Esc), Action::Back),
                (ctrl_c, Action::Quit),
            ],
        }
    }
}

impl Keymap {
    /// The defaults with the config's bindings: a configured action's keys replace its defaults.
    pub fn with_overrides(
        overrides: &BTreeMap<Action, Vec<String>>,
    ) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::default();
        for (&action, keys) in overrides {
            let name = action.name();
            let parsed: Vec<Key> = keys
                .iter()
                .map(|k| {
                    Key::parse(k).ok_or_else(|| KeymapError::BadKey {
                        action: name.to_string(),
                        key: k.clone(),
                    })
                })
                .collect::<Result<_, _>>()?;
            map.bindings.retain(|(_, a)| *a != action);
            // A key taken by this action is released from the default it had.
            map.bindings
                .retain(|(k, a)| !parsed.contains(k) || overrides.contains_key(a));
            map.bindings.extend(parsed.into_iter().map(|k| (k, action)));
        }
        map.check()?;
        Ok(map)
    }

    fn check(&self) -> Result<(), KeymapError> {
        for (i, (k, a)) in self.bindings.iter().enumerate() {
            if let Some((_, b)) = self.bindings[..i].iter().find(|(k2, b)| k2 == k && b != a) {
                return Err(KeymapError::Duplicate {
                    key: k.label(),
                    first: b.name().into(),
                    second: a.name().into(),
                });
            }
        }
        Ok(())
    }

    /// The action of a key in a mode. Text-entry modes take printable keys themselves.
    pub fn resolve(&self, mode: &Mode, key: Key) -> Option<Action> {
        if mode.takes_text() {
            return match key.code {
                KeyCodeKey::Esc => Some(Action::Back),
                KeyCodeKey::Enter => Some(Action::Enter),
                KeyCodeKey::Up => Some(Action::Up),
                KeyCodeKey::Down => Some(Action::Down),
                KeyCodeKey::Char('c') if key.ctrl => Some(Action::Quit),
                _ => None,
            };
        }
        let action = self
            .bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)?;
        // Over a picker or an overlay, the quit key closes it (Ctrl-C still quits).
        if action == Action::Quit && !key.ctrl && !matches!(mode, Mode::Dashboard) {
            return Some(Action::Back);
        }
        Some(action)
    }

    /// Keys bound to an action, in binding order.
    pub fn keys_of(&self, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// (keys, description) for every action, in `Action::ALL` order: the help overlay.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        Action::ALL
            .iter()
            .map(|a| {
                let keys: Vec<String> = self.keys_of(*a).iter().map(Key::label).collect();
                (
                    if keys.is_empty() {
                        "(unbound)".to_string()
                    } else {
                        keys.join(" ")
                    },
                    a.description(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_round_trip_through_their_labels() {
        // Found by fuzzing: the help shows `←`, which read back as the
        // character ← (a key no terminal sends for the arrow).
        for name in [
            "left",
            "←",
            "Right",
            "↑",
            "down",
            "ctrl-alt-x",
            "alt-ctrl-x",
            "c-m-←",
            "space",
            "ctrl-space",
            "Shift-Tab",
            "F12",
            "A",
            "-",
            "ctrl--",
            "PgUp",
            "enter",
        ] {
            let k = Key::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(Key::parse(&k.label()), Some(k), "{name} -> {}", k.label());
        }
        assert_eq!(Key::parse("←"), Key::parse("left"));
        assert_eq!(
            Key::parse("ctrl-alt-x").map(|k| k.label()).as_deref(),
            Some("Ctrl-Alt-x")
        );
        // Blanks other than `space` are not keys.
        for blank in ["\u{a0}", "alt-\u{85}", "ctrl-\t", ""] {
            assert_eq!(Key::parse(blank), None, "{blank:?}");
        }
    }

    #[test]
    fn every_action_is_reachable_and_no_key_is_bound_twice() {
        let map = Keymap::default();
        for a in Action::ALL {
            assert!(!map.keys_of(a).is_empty(), "{a:?} has no key");
        }
        assert_eq!(map.check(), Ok(()));
    }

    #[test]
    fn resolve_dashboard_keys() {
        let map = Keymap::default();
        let m = Mode::Dashboard;
        assert_eq!(
            map.resolve(&m, Key::plain(KeyCodeKey::Left)),
            Some(Action::PrevPeriod)
        );
        assert_eq!(map.resolve(&m, c('l')), Some(Action::NextPeriod));
        assert_eq!(map.resolve(&m, c('Q')), Some(Action::Quarter));
        assert_eq!(map.resolve(&m, c('q')), Some(Action::Quit));
        assert_eq!(
            map.resolve(
                &m,
                Key {
                    code: KeyCodeKey::Char('c'),
                    ctrl: true,
                    alt: false
                }
            ),
            Some(Action::Quit)
        );
        assert_eq!(map.resolve(&m, c('Z')), None);
        // In text entry, letters are text.
        let find = Mode::Find(String::new());
        assert_eq!(map.resolve(&find, c('q')), None);
        assert_eq!(
            map.resolve(&find, Key::plain(KeyCodeKey::Esc)),
            Some(Action::Back)
        );
    }

    #[test]
    fn a_user_binding_replaces_the_default() {
        let mut o = BTreeMap::new();
        o.insert(
            Action::NextPeriod,
            vec!["n".to_string(), "ctrl-f".to_string()],
        );
        let map = Keymap::with_overrides(&o).unwrap();
        assert_eq!(
            map.resolve(&Mode::Dashboard, c('n')),
            Some(Action::NextPeriod)
        );
        assert_eq!(
            map.resolve(&Mode::Dashboard, c('l')),
            None,
            "the default l is replaced"
        );
        assert_eq!(
            map.keys_of(Action::NextPeriod)
                .iter()
                .map(Key::label)
                .collect::<Vec<_>>(),
            vec!["n", "Ctrl-f"]
        );
        // Taking a key another action had releases it from that action.
        let mut o = BTreeMap::new();
        o.insert(Action::Help, vec!["h".to_string()]);
        let map = Keymap::with_overrides(&o).unwrap();
        assert_eq!(map.resolve(&Mode::Dashboard, c('h')), Some(Action::Help));
    }

    #[test]
    fn q_closes_a_picker_or_overlay_and_quits_only_the_dashboard() {
        let map = Keymap::default();
        let picker = Mode::SegmentPicker(crate::app::state::Picker {
            title: "segment".into(),
            items: Vec::new(),
            selected: 0,
        });
        assert_eq!(map.resolve(&picker, c('q')), Some(Action::Back));
        assert_eq!(map.resolve(&Mode::Help, c('q')), Some(Action::Back));
        assert_eq!(map.resolve(&Mode::Dashboard, c('q')), Some(Action::Quit));
        let ctrl_c = Key {
            code: KeyCodeKey::Char('c'),
            ctrl: true,
            alt: false,
        };
        assert_eq!(map.resolve(&picker, ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn bad_bindings_are_named() {
        let mut o = BTreeMap::new();
        o.insert(Action::Help, vec!["ctrl-".to_string()]);
        assert!(matches!(
            Keymap::with_overrides(&o),
            Err(KeymapError::BadKey { .. })
        ));
        let mut o = BTreeMap::new();
        o.insert(Action::Help, vec!["z".to_string()]);
        o.insert(Action::Reload, vec!["z".to_string()]);
        assert!(matches!(
            Keymap::with_overrides(&o),
            Err(KeymapError::Duplicate { .. })
        ));
    }

    #[test]
    fn key_parsing() {
        assert_eq!(
            Key::parse("shift-tab"),
            Some(Key::plain(KeyCodeKey::BackTab))
        );
        assert_eq!(
            Key::parse("Ctrl-C"),
            Some(Key {
                code: KeyCodeKey::Char('C'),
                ctrl: true,
                alt: false
            })
        );
        assert_eq!(Key::parse("f5"), Some(Key::plain(KeyCodeKey::F(5))));
        assert_eq!(Key::parse("space"), Some(c(' ')));
        assert_eq!(Key::parse("xy"), None);
    }
}
