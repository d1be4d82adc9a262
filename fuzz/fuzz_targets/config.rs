//! The TOML config (every section, key bindings included) and single key
//! names: errors name what is wrong, nothing panics.
#![no_main]

use holdfast::app::keymap::Key;
use holdfast::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = Config::parse("fuzz.toml", text, None);
    if let Some(k) = Key::parse(text) {
        // A key that parses prints to a name that parses to the same key.
        assert_eq!(Key::parse(&k.label()), Some(k), "{text:?}");
    }
});
