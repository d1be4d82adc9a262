//! Fitted BG/NBD models remembered on disk, keyed by the fit's whole input.
//!
//! A fit on a million customers takes seconds; the same files reopened the
//! next morning ask for the same fits. The key is a 128-bit hash of every
//! term of the fit's input (and of `VERSION`), so an entry can only answer
//! for the very problem it was fitted on, and the answer is the stored bits:
//! the same parameters, to the last digit, as fitting again. An entry that
//! is damaged, truncated or from another version is ignored (and replaced).
//! Only the command line turns it on (`remember_in`), and only where the
//! caches are on (`--no-cache` leaves it off).

use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::bgnbd::{Fit, Params};

/// Bumped whenever the fit's algorithm (start, optimiser, stopping rule) or
/// the likelihood changes: the same input would then fit to other bits.
const VERSION: u64 = 1;
const MAGIC: &[u8; 8] = b"HFFIT\x00\x01\x00";
/// Entries kept; beyond it the oldest go.
const KEEP: usize = 256;

static DIR: OnceLock<PathBuf> = OnceLock::new();

/// Remember fits in `dir` from now on (once per process).
pub fn remember_in(dir: PathBuf) {
    let _ = DIR.set(dir);
}

/// A fit's key: two independent 64-bit hashes of its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key([u64; 2]);

impl Key {
    /// The key of a fit's whole input, written out as bytes.
    pub fn of(input: &[u8]) -> Key {
        let mut fx = crate::data::FastHash::default().build_hasher();
        let mut sip = std::collections::hash_map::DefaultHasher::new();
        for h in [&mut fx as &mut dyn Hasher, &mut sip] {
            h.write_u64(VERSION);
            h.write(input);
        }
        Key([fx.finish(), sip.finish()])
    }

    fn file_name(&self) -> String {
        format!("{:016x}{:016x}", self.0[0], self.0[1])
    }

    fn bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.0[0].to_le_bytes());
        b[8..].copy_from_slice(&self.0[1].to_le_bytes());
        b
    }
}

/// The remembered fit for `key`, if there is one.
pub fn get(key: Key) -> Option<Fit> {
    read(DIR.get()?, key)
}

/// Remembers `fit` for `key` (best effort: a cache that cannot be written is skipped).
pub fn put(key: Key, fit: &Fit) {
    if let Some(dir) = DIR.get() {
        write(dir, key, fit);
    }
}

fn entry(values: &[f64; 5], key: Key) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 16 + 40 + 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&key.bytes());
    for v in values {
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    let sum = crate::data::FastHash::default().hash_one(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn read(dir: &Path, key: Key) -> Option<Fit> {
    let mut file = crate::files::open_private(&dir.join(key.file_name()))?;
    let mut bytes = Vec::new();
    // One more byte than an entry holds: a longer file is not an entry.
    (&mut file).take(73).read_to_end(&mut bytes).ok()?;
    if bytes.len() != 72 {
        return None;
    }
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[24 + 8 * i..32 + 8 * i]);
        f64::from_bits(u64::from_le_bytes(w))
    };
    let values = [word(0), word(1), word(2), word(3), word(4)];
    if entry(&values, key) != bytes || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(Fit {
        params: Params {
            r: values[0],
            alpha: values[1],
            a: values[2],
            b: values[3],
        },
        log_likelihood: values[4],
    })
}

fn write(dir: &Path, key: Key, fit: &Fit) {
    if crate::files::private_dir(dir).is_err() {
        return;
    }
    let Params { r, alpha, a, b } = fit.params;
    let bytes = entry(&[r, alpha, a, b, fit.log_likelihood], key);
    let Ok(mut pending) = crate::files::Pending::new(&dir.join(key.file_name())) else {
        return;
    };
    if pending.file.write_all(&bytes).is_ok() {
        let _ = pending.commit();
    }
    prune(dir);
}

/// Keeps the newest `KEEP` entries.
fn prune(dir: &Path) {
    let Ok(list) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = list
        .flatten()
        .filter(|e| e.file_name().len() == 32)
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if entries.len() <= KEEP {
        return;
    }
    entries.sort();
    for (_, path) in &entries[..entries.len() - KEEP] {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit() -> Fit {
        Fit {
            params: Params {
                r: 0.243,
                alpha: 4.413_567_1,
                a: 0.793,
                b: 2.426_000_000_000_001,
            },
            log_likelihood: -9_582.429_1,
        }
    }

    #[test]
    fn an_entry_gives_back_the_same_bits_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(b"terms");
        let other = Key::of(b"other terms");
        assert_ne!(key, other);
        assert_eq!(read(dir.path(), key), None);
        write(dir.path(), key, &fit());
        let back = read(dir.path(), key).unwrap();
        assert_eq!(back.params.b.to_bits(), fit().params.b.to_bits());
        assert_eq!(back, fit());
        assert_eq!(read(dir.path(), other), None);
    }

    #[test]
    fn a_damaged_or_foreign_entry_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(b"terms");
        let path = dir.path().join(key.file_name());
        write(dir.path(), key, &fit());
        let good = std::fs::read(&path).unwrap();
        // A flipped bit in a parameter, a truncated file, a longer one, and
        // another key's entry under this key's name.
        let mut flipped = good.clone();
        flipped[30] ^= 1;
        let other = entry(&[1.0, 2.0, 3.0, 4.0, -5.0], Key::of(b"x"));
        for bad in [
            flipped,
            good[..40].to_vec(),
            [good.clone(), vec![0]].concat(),
            other,
        ] {
            std::fs::write(&path, &bad).unwrap();
            assert_eq!(read(dir.path(), key), None);
        }
        std::fs::write(&path, &good).unwrap();
        assert_eq!(read(dir.path(), key), Some(fit()));
    }

    #[test]
    fn only_the_newest_entries_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..KEEP + 3 {
            let key = Key::of(&i.to_le_bytes());
            write(dir.path(), key, &fit());
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), KEEP);
    }
}
