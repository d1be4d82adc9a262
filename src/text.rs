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
