//! One task that answers requests in batches: whatever was asked while the
//! previous batch ran goes into the next one, so a crowd costs a few round
//! trips, not one each, and nothing is added when idle (no timers). When a
//! batch fails, everything queued behind it gets the same answer at once
//! instead of each waiting out its own timeout against the same outage.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult};

type Asked<Q, A> = (Q, oneshot::Sender<AppResult<A>>);

pub struct Batcher<Q, A> {
    queue: mpsc::Sender<Asked<Q, A>>,
    name: &'static str,
}

impl<Q, A> Clone for Batcher<Q, A> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            name: self.name,
        }
    }
}

impl<Q: Send + 'static, A: Send + 'static> Batcher<Q, A> {
    /// Starts the task on the current runtime. `answer` gets up to
    /// `max_batch` requests and returns one answer per request, in order.
    pub fn start<F, Fut>(name: &'static str, max_batch: usize, mut answer: F) -> Self
    where
        F: FnMut(Vec<Q>) -> Fut + Send + 'static,
        Fut: Future<Output = AppResult<Vec<A>>> + Send,
    {
        let (queue, mut rx) = mpsc::channel::<Asked<Q, A>>(16_384);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (asked, replies): (Vec<Q>, Vec<_>) = batch.into_iter().unzip();
                match answer(asked).await {
                    Ok(answers) => {
                        for (reply, answer) in replies.into_iter().zip(answers) {
                            let _ = reply.send(Ok(answer));
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = ?err, batcher = name, "batch failed");
                        let mut replies = replies;
                        while let Ok((_, next)) = rx.try_recv() {
                            replies.push(next);
                        }
                        for reply in replies {
                            let _ = reply.send(Err(same_failure(&err)));
                        }
                    }
                }
            }
        });
        Self { queue, name }
    }

    pub async fn ask(&self, question: Q) -> AppResult<A> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((question, reply))
            .await
            .map_err(|_| self.stopped())?;
        answer.await.map_err(|_| self.stopped())?
    }

    fn stopped(&self) -> AppError {
        AppError::unavailable(format!("the {} stopped; retry", self.name))
    }
}

fn same_failure(err: &AppError) -> AppError {
    AppError::new(err.code, err.detail.clone()).with_retry_after(err.retry_after_secs.unwrap_or(1))
}
