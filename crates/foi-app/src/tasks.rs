//! The supervised tasks of `foi serve` (delivery worker, scheduler) and their states, as the
//! daemon records them and `/health` shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A supervised task's state, as `/health` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskStatus {
    Running {
        since: DateTime<Utc>,
    },
    /// It stopped with `error` and restarts at `retry_at`.
    Restarting {
        error: String,
        since: DateTime<Utc>,
        restarts: u32,
        retry_at: DateTime<Utc>,
    },
}

/// The supervised tasks of this process, shared with the web server's `/health`.
#[derive(Debug, Default)]
pub struct Tasks(Mutex<BTreeMap<&'static str, TaskStatus>>);

impl Tasks {
    pub fn set(&self, name: &'static str, s: TaskStatus) {
        self.0.lock().expect("tasks lock").insert(name, s);
    }
    /// Every task and its state.
    pub fn snapshot(&self) -> BTreeMap<&'static str, TaskStatus> {
        self.0.lock().expect("tasks lock").clone()
    }
    /// The tasks that are not running now.
    pub fn down(&self) -> Vec<&'static str> {
        self.snapshot()
            .into_iter()
            .filter(|(_, s)| !matches!(s, TaskStatus::Running { .. }))
            .map(|(n, _)| n)
            .collect()
    }
}
