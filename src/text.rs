//! Text shared by the data layer (tokenizing comments at load) and the
//! metrics (detractor themes): the stop words shipped in `assets/`.

/// The stop words of the detractor themes, shipped in `assets/`.
pub fn stopwords() -> &'static std::collections::HashSet<&'static str> {
    static WORDS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            include_str!("../assets/stopwords.txt")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect()
        });
    &WORDS
}

/// Whether a character would act on a terminal instead of showing: C0 and
/// C1 controls (ESC starts the sequences that move the cursor, clear the
/// screen, set the title or write the clipboard), DEL, and the bidirectional
/// overrides that reorder what is shown. Newlines and tabs are layout.
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text from a file made safe to print: every hidden character (see
/// `is_hidden`) written as a visible escape, `\u{1b}`.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    escape_hidden(s, |c| format!("\\u{{{:x}}}", c as u32))
}

/// JSON made safe to print: the hidden characters JSON writers leave raw
/// (DEL, C1, bidi overrides) as `\u009b` escapes, which keep it valid JSON.
pub fn visible_json(s: &str) -> std::borrow::Cow<'_, str> {
    escape_hidden(s, |c| format!("\\u{:04x}", c as u32))
}

/// `s` with each hidden character replaced by `escape(c)`; borrowed when
/// there is none.
fn escape_hidden(s: &str, escape: impl Fn(char) -> String) -> std::borrow::Cow<'_, str> {
    // Fast path: control bytes, DEL, and the lead bytes of C1 (C2) and of the
    // bidi controls (E2) are the only ways in.
    if !s
        .bytes()
        .any(|b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7F || b == 0xC2 || b == 0xE2)
        || !s.chars().any(is_hidden)
    {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) {
            out.push_str(&escape(c));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(
            visible("plain, ünïcode € 1\n\tx"),
            "plain, ünïcode € 1\n\tx"
        );
        assert_eq!(
            visible("c1\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "c1\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(visible("a\u{9b}31mb\r\u{7f}"), "a\\u{9b}31mb\\u{d}\\u{7f}");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
        // C2 and E2 lead bytes of harmless characters take the slow path, unchanged.
        assert_eq!(visible("£ – ©"), "£ – ©");
        let json = serde_json::to_string("id\u{1b}[2J\u{9b}").unwrap();
        let safe = visible_json(&json);
        assert_eq!(safe, "\"id\\u001b[2J\\u009b\"");
        assert_eq!(
            serde_json::from_str::<String>(&safe).unwrap(),
            "id\u{1b}[2J\u{9b}"
        );
    }
}
