//! What an instance still does before it is ready (loading demo data, say):
//! `/readyz` answers 503 and names it meanwhile, and names a failure after.

use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Nothing to wait for.
    Idle,
    /// `task` is running; `last_error` is why an earlier attempt is being retried.
    Running {
        task: &'static str,
        last_error: Option<String>,
    },
    Done(&'static str),
    /// `task` gave up; the instance serves without it.
    Failed {
        task: &'static str,
        reason: String,
    },
}

#[derive(Clone)]
pub struct Warmup(Arc<Mutex<Stage>>);

impl Default for Warmup {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(Stage::Idle)))
    }
}

/// What `/readyz` says: whether the instance waits, and in words what for.
pub struct WarmupReport {
    pub waiting: bool,
    pub detail: Option<String>,
}

impl Warmup {
    pub fn begin(&self, task: &'static str) {
        self.set(Stage::Running {
            task,
            last_error: None,
        });
    }

    pub fn retrying(&self, task: &'static str, error: String) {
        self.set(Stage::Running {
            task,
            last_error: Some(error),
        });
    }

    pub fn done(&self, task: &'static str) {
        self.set(Stage::Done(task));
    }

    pub fn failed(&self, task: &'static str, reason: String) {
        self.set(Stage::Failed { task, reason });
    }

    pub fn report(&self) -> WarmupReport {
        let stage = self.0.lock().map(|s| s.clone()).unwrap_or(Stage::Idle);
        match stage {
            Stage::Idle => WarmupReport {
                waiting: false,
                detail: None,
            },
            Stage::Running { task, last_error } => WarmupReport {
                waiting: true,
                detail: Some(match last_error {
                    None => format!("{task}: in progress"),
                    Some(error) => format!("{task}: retrying after: {error}"),
                }),
            },
            Stage::Done(task) => WarmupReport {
                waiting: false,
                detail: Some(format!("{task}: done")),
            },
            Stage::Failed { task, reason } => WarmupReport {
                waiting: false,
                detail: Some(format!("{task}: failed: {reason}")),
            },
        }
    }

    fn set(&self, stage: Stage) {
        if let Ok(mut current) = self.0.lock() {
            *current = stage;
        }
    }
}
