//! Group commit for submissions: concurrent [`Storage::store_submission`] calls are queued to
//! writer tasks, each of which takes whatever is waiting when it becomes free (up to
//! [`MAX_BATCH`] submissions or [`MAX_BATCH_BYTES`] of ciphertext) and writes it in ONE
//! transaction. Nobody waits for a batch to fill: a lone submission is written at once.
//!
//! - **Answer after commit.** Every caller gets its own outcome only after the transaction
//!   holding its submission has committed, so a `201` still means "durably stored".
//! - **Isolation.** The expected per-submission outcomes are decided without failing the
//!   transaction: an id stored before → [`StoreOutcome::Existing`] (the insert is `ON CONFLICT
//!   DO NOTHING`, nothing written), a mailbox token in use → [`StoreOutcome::MailboxInUse`]
//!   (the just-inserted submission row is deleted again in the same transaction). An
//!   unexpected error anywhere rolls the whole batch back, and each of its submissions is then
//!   written alone in its own transaction, exactly as without grouping, so one broken
//!   submission gets its own error and its neighbours are stored.
//! - **The same id twice in one batch** is never written twice in one transaction: the later
//!   copy waits for the next batch, where it meets the committed first copy as `Existing`.
//! - **Lock order (PostgreSQL, several writers and several relay processes).** A batch first
//!   writes, in submission id order, everything that needs no organisation lock (submission,
//!   mailbox, attachments, `delivered` entries); then it reserves exactly the inbox positions
//!   it needs from every recipient organisation, in organisation id order, with one `UPDATE
//!   organisations … RETURNING` each (the row lock is held to commit, so cursor order is
//!   still commit order, without gaps), and inserts the inbox rows. Waits between batches
//!   thus follow one order (ids, then organisations) and cannot form a cycle; parallel
//!   batches overlap their first phase. (Two different ids with one mailbox token in two
//!   batches at once could still deadlock; PostgreSQL then fails one batch, which is retried
//!   one submission at a time.)

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Any, AnyPool, Row};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{NewSubmission, Result, StorageError, StoreOutcome, i, lookup_key, sql};

/// At most this many submissions in one transaction.
pub const MAX_BATCH: usize = 64;
/// A batch stops taking more submissions once their ciphertext reaches this size.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Queue length before callers wait (back-pressure; far above any useful batch).
const QUEUE: usize = 4096;

pub(super) struct Job {
    submission: NewSubmission,
    reply: oneshot::Sender<Result<StoreOutcome>>,
}

/// How grouping went, for tests and operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Transactions that committed a batch (including batches of one).
    pub batches: u64,
    /// Submissions answered from a committed batch.
    pub submissions: u64,
    /// The most submissions one committed batch held.
    pub largest_batch: u64,
    /// Batches rolled back and retried one submission at a time.
    pub split_batches: u64,
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    batches: AtomicU64,
    submissions: AtomicU64,
    largest_batch: AtomicU64,
    split_batches: AtomicU64,
}

impl Counters {
    pub(super) fn snapshot(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.batches.load(Ordering::Relaxed),
            submissions: self.submissions.load(Ordering::Relaxed),
            largest_batch: self.largest_batch.load(Ordering::Relaxed),
            split_batches: self.split_batches.load(Ordering::Relaxed),
        }
    }

    fn committed(&self, n: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.submissions.fetch_add(n as u64, Ordering::Relaxed);
        self.largest_batch.fetch_max(n as u64, Ordering::Relaxed);
    }
}

/// The sending side, held by every clone of [`super::Storage`].
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Job>,
    pub(super) counters: Arc<Counters>,
}

impl GroupCommit {
    /// Start `writers` writer tasks on the current runtime. They end when every
    /// [`GroupCommit`] is dropped and the queue is empty. `one_writer`: `pool` is the only
    /// writer of the database (SQLite), so lock order does not matter.
    pub(super) fn start(pool: AnyPool, writers: usize, one_writer: bool) -> GroupCommit {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        let counters = Arc::new(Counters::default());
        for _ in 0..writers.max(1) {
            tokio::spawn(writer(
                pool.clone(),
                one_writer,
                receiver.clone(),
                counters.clone(),
            ));
        }
        GroupCommit { queue, counters }
    }

    pub(super) async fn store(&self, submission: NewSubmission) -> Result<StoreOutcome> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { submission, reply })
            .await
            .map_err(|_| StorageError::WriterStopped)?;
        answer.await.map_err(|_| StorageError::WriterStopped)?
    }
}

async fn writer(
    pool: AnyPool,
    one_writer: bool,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    counters: Arc<Counters>,
) {
    let mut carried: Vec<Job> = Vec::new();
    loop {
        let mut batch = std::mem::take(&mut carried);
        // With carried jobs, never wait for the queue: another writer may hold it while it
        // waits for new work.
        let locked = if batch.is_empty() {
            Some(queue.lock().await)
        } else {
            queue.try_lock().ok()
        };
        if let Some(mut queue) = locked {
            if batch.is_empty() {
                match queue.recv().await {
                    Some(job) => batch.push(job),
                    None => return,
                }
            }
            let mut bytes: usize = batch.iter().map(|j| j.submission.envelope.len()).sum();
            while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
                match queue.try_recv() {
                    Ok(job) => {
                        bytes += job.submission.envelope.len();
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
        }
        // A second copy of an id waits for the next batch (after the first is committed).
        let mut ids = HashSet::with_capacity(batch.len());
        let (now, later): (Vec<Job>, Vec<Job>) =
            batch.into_iter().partition(|j| ids.insert(j.submission.id));
        carried = later;
        write(&pool, one_writer, now, &counters).await;
    }
}

/// Write `jobs` in one transaction and answer each; on failure, each alone.
async fn write(pool: &AnyPool, one_writer: bool, mut jobs: Vec<Job>, counters: &Counters) {
    // Insertion in id order: see the module's lock-order note.
    jobs.sort_by_key(|j| j.submission.id);
    let all: Vec<&NewSubmission> = jobs.iter().map(|j| &j.submission).collect();
    match write_batch(pool, one_writer, &all).await {
        Ok(outcomes) => {
            counters.committed(jobs.len());
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                // The caller may have gone (client disconnected); the row is stored anyway.
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(e) if jobs.len() == 1 => {
            if let Some(job) = jobs.pop() {
                let _ = job.reply.send(Err(e));
            }
        }
        Err(_) => {
            counters.split_batches.fetch_add(1, Ordering::Relaxed);
            for job in jobs {
                let outcome = match write_batch(pool, one_writer, &[&job.submission]).await {
                    Ok(mut one) => {
                        counters.committed(1);
                        one.pop().ok_or(StorageError::WriterStopped)
                    }
                    Err(e) => Err(e),
                };
                let _ = job.reply.send(outcome);
            }
        }
    }
}

/// One transaction for `subs` (distinct ids, sorted). Any error: nothing was committed.
async fn write_batch(
    pool: &AnyPool,
    one_writer: bool,
    subs: &[&NewSubmission],
) -> Result<Vec<StoreOutcome>> {
    let mut tx = pool.begin().await?;

    // Phase 1, in submission id order: rows that need no organisation lock.
    let mut outcomes = Vec::with_capacity(subs.len());
    let mut ids: Vec<String> = Vec::with_capacity(subs.len());
    for s in subs {
        let id = s.id.to_hex();
        let inserted = sqlx::query::<Any>(sql::INSERT_SUBMISSION)
            .bind(id.clone())
            .bind(s.request_hash.to_vec())
            .bind(s.response.clone())
            .bind(i(s.directory_version))
            .bind(s.tags.clone())
            .bind(s.consent.clone())
            .bind(i(s.received_hour))
            .bind(s.envelope.clone())
            .execute(&mut *tx)
            .await?;
        if inserted.rows_affected() == 0 {
            // Stored before and committed (on PostgreSQL the insert waited for the writer that
            // won; each statement sees what is committed when it starts).
            let row = sqlx::query::<Any>(sql::SUBMISSION_ANSWER)
                .bind(id.clone())
                .fetch_one(&mut *tx)
                .await?;
            outcomes.push(StoreOutcome::Existing {
                request_hash: row.try_get("request_hash")?,
                response: row.try_get("response")?,
            });
            ids.push(id);
            continue;
        }
        let mailbox = sqlx::query::<Any>(sql::INSERT_MAILBOX)
            .bind(s.mailbox_hash.to_vec())
            .bind(lookup_key(&s.mailbox_hash))
            .bind(id.clone())
            .bind(i(s.received_hour))
            .bind(s.recipients.len() as i64)
            .execute(&mut *tx)
            .await?;
        if mailbox.rows_affected() == 0 {
            // Undo this submission's only row; the rest of the batch goes on.
            sqlx::query::<Any>("DELETE FROM submissions WHERE id = $1")
                .bind(id.clone())
                .execute(&mut *tx)
                .await?;
            outcomes.push(StoreOutcome::MailboxInUse);
            ids.push(id);
            continue;
        }
        for a in &s.attachments {
            sqlx::query::<Any>(sql::INSERT_ATTACHMENT)
                .bind(id.clone())
                .bind(a.id.clone())
                .bind(i(a.size))
                .bind(a.sha256.to_vec())
                .execute(&mut *tx)
                .await?;
        }
        outcomes.push(StoreOutcome::Stored);
        ids.push(id);
    }

    let stored = || {
        subs.iter()
            .zip(&ids)
            .zip(&outcomes)
            .filter(|(_, o)| **o == StoreOutcome::Stored)
            .map(|(pair, _)| pair)
    };
    // The `delivered` entries of every stored submission, several rows per statement.
    let entries: Vec<(&NewSubmission, usize)> = stored()
        .flat_map(|(s, _)| (0..s.recipients.len()).map(move |n| (*s, n)))
        .collect();
    for chunk in entries.chunks(sql::ROWS_PER_INSERT) {
        let text = sql::insert_mailbox_statuses(chunk.len());
        let mut q = sqlx::query::<Any>(text);
        for (s, n) in chunk {
            q = q
                .bind(s.mailbox_hash.to_vec())
                .bind(*n as i64 + 1)
                .bind(s.recipients[*n].to_hex())
                .bind(i(s.received_hour))
                .bind("delivered");
        }
        q.execute(&mut *tx).await?;
    }

    // Phase 2: reserve exactly the inbox positions needed, per organisation in id order (hex
    // order is byte order), under the row lock held to commit; then the inbox rows.
    let mut next: BTreeMap<String, i64> = BTreeMap::new();
    for (s, _) in stored() {
        for org in &s.recipients {
            *next.entry(org.to_hex()).or_insert(0) += 1;
        }
    }
    if one_writer {
        // SQLite: this is the only writer, so no lock order to keep; one statement per 16
        // organisations instead of one each.
        let counts: Vec<(String, i64)> = next.iter().map(|(o, n)| (o.clone(), *n)).collect();
        for chunk in counts.chunks(sql::ROWS_PER_INSERT) {
            let mut q = sqlx::query::<Any>(sql::reserve_inbox_seqs_of(chunk.len()));
            for (org, n) in chunk {
                q = q.bind(org.clone()).bind(*n);
            }
            for (org, _) in chunk {
                q = q.bind(org.clone());
            }
            let reserved = q.fetch_all(&mut *tx).await?;
            if reserved.len() != chunk.len() {
                return Err(StorageError::Database(sqlx::Error::RowNotFound));
            }
            for row in reserved {
                let org: String = row.try_get(0)?;
                let last: i64 = row.try_get(1)?;
                let n = next
                    .get_mut(&org)
                    .ok_or(StorageError::Database(sqlx::Error::RowNotFound))?;
                *n = last - *n + 1;
            }
        }
    } else {
        for (org, n) in next.iter_mut() {
            let row = sqlx::query::<Any>(sql::RESERVE_INBOX_SEQS)
                .bind(*n)
                .bind(org.clone())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StorageError::Database(sqlx::Error::RowNotFound))?;
            let last: i64 = row.try_get(0)?;
            // From now on: the next position to hand out.
            *n = last - *n + 1;
        }
    }
    let mut rows: Vec<(String, i64, &str, u64)> = Vec::with_capacity(entries.len());
    for (s, id) in stored() {
        for org in &s.recipients {
            let org = org.to_hex();
            let seq = next
                .get_mut(&org)
                .ok_or(StorageError::Database(sqlx::Error::RowNotFound))?;
            rows.push((org, *seq, id.as_str(), s.received_hour));
            *seq += 1;
        }
    }
    for chunk in rows.chunks(sql::ROWS_PER_INSERT) {
        let text = sql::insert_inbox_rows(chunk.len());
        let mut q = sqlx::query::<Any>(text);
        for (org, seq, id, hour) in chunk {
            q = q
                .bind(org.clone())
                .bind(*seq)
                .bind(id.to_string())
                .bind(i(*hour));
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}
