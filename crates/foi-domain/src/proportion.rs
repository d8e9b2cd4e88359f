//! Plain-English proportions and numbers, as campaign reports write them: "almost one in
//! four", "over one in three", "twelve".
//!
//! Rule: below a half, the proportion is compared with the unit fractions 1/2 … 1/10. If it is
//! within 2.5 percentage points *below* a unit fraction, it is "almost one in k"; otherwise it
//! is "over one in k" for the largest unit fraction it exceeds (or exactly "one in k"). From a
//! half up, the same is done with ½, ⅔, ¾, ⅘, 9⁄10 ("over half", "almost two in three").

const WORDS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// A number in words up to 99 ("twelve", "forty-two"); digits from 100.
pub fn words(n: usize) -> String {
    match n {
        0..=19 => WORDS[n].to_string(),
        20..=99 => {
            let (t, u) = (n / 10, n % 10);
            if u == 0 {
                TENS[t].to_string()
            } else {
                format!("{}-{}", TENS[t], WORDS[u])
            }
        }
        _ => n.to_string(),
    }
}

/// A sentence-initial number ("Twelve").
pub fn words_capitalised(n: usize) -> String {
    let w = words(n);
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => w,
    }
}

/// "almost one in four", "over one in three", "half", "all", "none".
pub fn phrase(count: usize, base: usize) -> String {
    if base == 0 {
        return "no body coded yet".into();
    }
    if count == 0 {
        return "none".into();
    }
    if count == base {
        return "all".into();
    }
    let p = count as f64 / base as f64;
    const NEAR: f64 = 0.025;
    if p < 0.5 {
        // Unit fractions from 1/2 down to 1/10.
        for k in 2..=10u32 {
            let f = 1.0 / k as f64;
            let name = format!("one in {}", words(k as usize));
            if (p - f).abs() < 1e-9 {
                return name;
            }
            let above = 1.0 / (k - 1) as f64;
            if k > 2 && p < above && above - p <= NEAR {
                return if k == 3 {
                    "almost half".into()
                } else {
                    format!("almost one in {}", words(k as usize - 1))
                };
            }
            if p > f {
                return if k == 2 {
                    "almost half".into()
                } else {
                    format!("over {name}")
                };
            }
        }
        return "fewer than one in ten".into();
    }
    let fractions: [(f64, &str); 5] = [
        (0.5, "half"),
        (2.0 / 3.0, "two in three"),
        (0.75, "three in four"),
        (0.8, "four in five"),
        (0.9, "nine in ten"),
    ];
    for (i, (f, name)) in fractions.iter().enumerate().rev() {
        if (p - f).abs() < 1e-9 {
            return name.to_string();
        }
        if p > *f {
            // Close below the next fraction up? Then "almost" that one.
            if let Some((g, gname)) = fractions.get(i + 1) {
                if g - p <= NEAR {
                    return format!("almost {gname}");
                }
            } else if 1.0 - p <= NEAR {
                return "almost all".into();
            }
            return format!("over {name}");
        }
        if i == 0 {
            break;
        }
    }
    "half".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reports_own_phrases() {
        assert_eq!(phrase(10, 42), "almost one in four");
        assert_eq!(phrase(16, 42), "over one in three");
        assert_eq!(phrase(12, 42), "over one in four");
        assert_eq!(phrase(8, 42), "almost one in five");
    }

    #[test]
    fn edges() {
        assert_eq!(phrase(0, 42), "none");
        assert_eq!(phrase(42, 42), "all");
        assert_eq!(phrase(21, 42), "half");
        assert_eq!(phrase(1, 4), "one in four");
        assert_eq!(phrase(20, 42), "almost half");
        assert_eq!(phrase(30, 42), "over two in three");
        assert_eq!(phrase(31, 42), "almost three in four");
        assert_eq!(phrase(24, 42), "over half");
        assert_eq!(phrase(41, 42), "almost all");
        assert_eq!(phrase(1, 42), "fewer than one in ten");
        assert_eq!(phrase(28, 42), "two in three");
    }

    #[test]
    fn numbers_in_words() {
        assert_eq!(words(12), "twelve");
        assert_eq!(words(42), "forty-two");
        assert_eq!(words(30), "thirty");
        assert_eq!(words(140), "140");
        assert_eq!(words_capitalised(14), "Fourteen");
    }
}
