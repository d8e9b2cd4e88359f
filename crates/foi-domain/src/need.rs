//! What a person should do next about a request: the board's and `foi status`'s "Needs"
//! column. The words are written here once; code matches on the variant, never on the words.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Replies wait to be classified.
    Classify {
        replies: u32,
    },
    /// A draft whose body has no FOI address.
    FindAddress,
    /// A draft ready to go.
    Launch,
    /// The body asked for clarification: answer it.
    SendClarification,
    /// Our internal review is overdue: refer the request to the ICO.
    ReviewOverdue {
        working_days: u32,
    },
    /// Very overdue: escalate.
    Escalate {
        working_days: u32,
    },
    /// Overdue: chase.
    Chase {
        working_days: u32,
    },
    /// The body's clock runs: nothing to do yet.
    Wait,
    /// The response is coded for every variable that applies. `record`: a round imported as
    /// history (never launched from here).
    Coded {
        record: bool,
    },
    /// Some variables are coded, not all.
    PartlyCoded {
        done: usize,
        of: usize,
        record: bool,
    },
    /// A response came: code it.
    CodeResponse {
        record: bool,
    },
    /// Desk research: record the body's published document.
    RecordSource,
    /// Desk research: code the document.
    CodeDocument,
    Nothing,
}

fn working_days(n: u32) -> String {
    if n == 1 {
        "1 working day".into()
    } else {
        format!("{n} working days")
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let record = |r: bool| if r { " (imported record)" } else { "" };
        match *self {
            Need::Classify { replies: 1 } => write!(f, "classify 1 reply"),
            Need::Classify { replies } => write!(f, "classify {replies} replies"),
            Need::FindAddress => write!(f, "find an FOI address"),
            Need::Launch => write!(f, "launch"),
            Need::SendClarification => write!(f, "send the clarification"),
            Need::ReviewOverdue { working_days: n } => {
                write!(f, "review overdue ({}): refer to the ICO", working_days(n))
            }
            Need::Escalate { working_days: n } => {
                write!(f, "very overdue ({}): escalate", working_days(n))
            }
            Need::Chase { working_days: n } => write!(f, "overdue ({}): chase", working_days(n)),
            Need::Wait => write!(f, "wait"),
            Need::Coded { record: r } => write!(f, "coded{}", record(r)),
            Need::PartlyCoded {
                done,
                of,
                record: r,
            } => write!(f, "partly coded: {done} of {of}{}", record(r)),
            Need::CodeResponse { record: r } => write!(f, "code the response{}", record(r)),
            Need::RecordSource => write!(f, "record the source document"),
            Need::CodeDocument => write!(f, "code the document"),
            Need::Nothing => write!(f, "-"),
        }
    }
}

impl Serialize for Need {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Need {
    /// Coded for every variable, or only some: `(done, of)` from the coding's progress.
    pub fn with_progress(self, done: usize, of: usize) -> Need {
        match self {
            Need::Coded { record } if done < of => Need::PartlyCoded { done, of, record },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_the_board_shows() {
        assert_eq!(
            Need::Classify { replies: 1 }.to_string(),
            "classify 1 reply"
        );
        assert_eq!(
            Need::Classify { replies: 3 }.to_string(),
            "classify 3 replies"
        );
        assert_eq!(
            Need::Chase { working_days: 1 }.to_string(),
            "overdue (1 working day): chase"
        );
        assert_eq!(
            Need::Escalate { working_days: 21 }.to_string(),
            "very overdue (21 working days): escalate"
        );
        assert_eq!(
            Need::Coded { record: true }.to_string(),
            "coded (imported record)"
        );
        assert_eq!(
            Need::Coded { record: false }
                .with_progress(3, 8)
                .to_string(),
            "partly coded: 3 of 8"
        );
        assert_eq!(
            Need::Coded { record: true }.with_progress(3, 8).to_string(),
            "partly coded: 3 of 8 (imported record)"
        );
        assert_eq!(
            Need::Coded { record: false }.with_progress(8, 8),
            Need::Coded { record: false }
        );
        assert_eq!(Need::Wait.with_progress(1, 8), Need::Wait);
    }
}
