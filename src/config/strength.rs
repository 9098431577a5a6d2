//! How hard a machine secret (`SECRET_KEY`, Stripe's keys) would be to guess: an estimate in
//! bits that charges little for what a person types instead of a random generator.
//!
//! A random value costs the size of its alphabet per character. A sequence (`0123…`, `abcd…`,
//! `fedc…`, a row of keys such as `qwerty…`) costs only its first character, its direction and
//! its length, and a repeat of something earlier in the value (`abcabc…`, `aaaa`) only where it
//! starts and how long it is. Patterns shorter than four characters are charged as random,
//! because they turn up by chance in random values: over a million random 32-hex-character
//! keys (`openssl rand -hex 16`, 128 bits) the lowest estimate was 105 bits, against 16 to 37
//! bits for `0123456789abcdef0123456789abcdef`, `abcdefgh` × 4 or `qwertyuiop…`.
//!
//! It knows nothing of words: `placeholder-not-a-real-key` scores like random letters. The
//! known placeholders are refused by name (`secrets.rs`); people's passwords are judged by
//! `zxcvbn` instead (`identity::model::NewPassword`).

/// The least estimate a secret must reach: 96 bits, far below what any generator the docs
/// recommend produces (128 to 256) and far above what a person types.
pub(super) const MIN_SECRET_BITS: f64 = 96.0;

/// Patterns shorter than this are charged as random characters.
const MIN_PATTERN: usize = 4;

/// Keyboard rows (US layout), walked in either direction like `qwerty` or `lkjh`.
const KEYBOARD_ROWS: &[&str] = &["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// The estimated strength of `value` in bits (see the module documentation).
pub(super) fn estimated_bits(value: &str) -> f64 {
    let chars: Vec<char> = value.chars().collect();
    let per_char = alphabet_size(&chars).log2();
    let mut bits = 0.0;
    let mut i = 0;
    while i < chars.len() {
        let repeat = longest_repeat(&chars, i);
        let run = longest_run(&chars, i);
        if repeat >= MIN_PATTERN && repeat >= run {
            bits += log2(i) + log2(repeat);
            i += repeat;
        } else if run >= MIN_PATTERN {
            bits += per_char + 1.0 + log2(run);
            i += run;
        } else {
            bits += per_char;
            i += 1;
        }
    }
    bits
}

fn log2(n: usize) -> f64 {
    // Lengths and positions of a secret: far below 2^52, so the conversion is exact.
    (n as f64).log2()
}

/// A class of characters and how many it has.
type CharClass = (fn(&char) -> bool, f64);

/// How many characters a generator of this value would choose from: 16 for hex of one case,
/// else the sum of the classes present (digits, lower case, upper case, ASCII punctuation,
/// anything else).
fn alphabet_size(chars: &[char]) -> f64 {
    let hex = |letters: std::ops::RangeInclusive<char>| {
        chars
            .iter()
            .all(|c| c.is_ascii_digit() || letters.contains(c))
    };
    if hex('a'..='f') || hex('A'..='F') {
        return 16.0;
    }
    let classes: [CharClass; 5] = [
        (char::is_ascii_digit, 10.0),
        (char::is_ascii_lowercase, 26.0),
        (char::is_ascii_uppercase, 26.0),
        (char::is_ascii_punctuation, 33.0),
        (|c| !c.is_ascii(), 100.0),
    ];
    classes
        .iter()
        .filter(|(present, _)| chars.iter().any(present))
        .map(|(_, size)| size)
        .sum::<f64>()
        .max(1.0)
}

/// The longest stretch from `i` that equals one starting earlier (the two may overlap, so
/// `aaaa` and `abab` count as repeats).
fn longest_repeat(chars: &[char], i: usize) -> usize {
    (0..i)
        .map(|j| {
            chars[i..]
                .iter()
                .zip(&chars[j..])
                .take_while(|(a, b)| a == b)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The longest sequence from `i`: each character one code point above (or each one below) the
/// previous, or the next key along one keyboard row.
fn longest_run(chars: &[char], i: usize) -> usize {
    let rest = &chars[i.min(chars.len())..];
    let mut best = rest.len().min(1);
    let code = |c: &char| i64::from(u32::from(*c));
    for step in [1, -1] {
        best = best.max(run_length(rest, |a, b| code(b) - code(a) == step));
    }
    for row in KEYBOARD_ROWS {
        let key = |c: &char| {
            row.find(c.to_ascii_lowercase())
                .and_then(|p| i64::try_from(p).ok())
        };
        for step in [1, -1] {
            best = best.max(run_length(
                rest,
                |a, b| matches!((key(a), key(b)), (Some(x), Some(y)) if y - x == step),
            ));
        }
    }
    best
}

/// How many characters from the start of `chars` follow one another by `follows`.
fn run_length(chars: &[char], follows: impl Fn(&char, &char) -> bool) -> usize {
    if chars.is_empty() {
        return 0;
    }
    1 + chars
        .windows(2)
        .take_while(|pair| follows(&pair[0], &pair[1]))
        .count()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn sequences_repeats_and_keyboard_rows_are_cheap() {
        for weak in [
            "0123456789abcdef0123456789abcdef",
            "abcdefghabcdefghabcdefghabcdefgh",
            "qwertyuiopasdfghjklzxcvbnm123456",
            "9876543210zyxwvutsrqponmlkjihgfe",
            "passwordpasswordpasswordpassword",
            &"ab".repeat(20),
            "x",
        ] {
            let bits = estimated_bits(weak);
            assert!(bits < 50.0, "{weak}: {bits:.1} bits");
        }
    }

    #[test]
    fn generated_keys_pass() {
        for strong in [
            // `openssl rand -hex 32`, `-hex 16`, `-base64 32`, and a Stripe-shaped key body.
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "3f9c0a7d1e5b8c2f6a4d9e0b7c1f3a5d",
            "q7Jx1vYb0mH3kLr2ZsT9wPn4cVd8fGa6uEi5oKy+Bc0=",
            "4eC39HqLyjWDarjtT1zdp7dc",
            // A repeat of a random block is as strong as the block.
            &"3f9c0a7d1e5b8c2f6a4d9e0b7c1f3a5d".repeat(2),
        ] {
            let bits = estimated_bits(strong);
            assert!(bits >= MIN_SECRET_BITS, "{strong}: {bits:.1} bits");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// `openssl rand -hex 16`, the shortest key the docs' advice allows, always passes.
        #[test]
        fn random_hex_of_128_bits_passes(bytes in proptest::array::uniform16(any::<u8>())) {
            let key = hex::encode(bytes);
            prop_assert!(estimated_bits(&key) >= MIN_SECRET_BITS, "{}", key);
        }

        /// A Stripe secret of 24 random letters and digits, the shortest Stripe issues, passes.
        #[test]
        fn random_alphanumerics_of_stripe_length_pass(body in "[A-Za-z0-9]{24}") {
            prop_assert!(estimated_bits(&body) >= MIN_SECRET_BITS, "{}", body);
        }
    }
}
