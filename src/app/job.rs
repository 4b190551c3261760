//! Work off the UI thread: a named thread whose messages (progress, then its answer) the
//! window picks up in later frames, without waiting. The one way the window runs
//! background work (opening files, file dialogs, lesson checks and runs, the linearity
//! meter), so that each of them is a closure and a match on [`Poll`].

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

/// A thread at work, and the messages it sends. (The receiver is in a mutex only so that
/// a job can sit in a Bevy resource, which must be shareable between threads.)
pub struct Job<T> {
    rx: Mutex<Receiver<T>>,
}

/// What a job has to say this frame.
#[derive(Debug, PartialEq)]
pub enum Poll<T> {
    /// Nothing yet: it is still at work.
    Waiting,
    /// A message.
    Got(T),
    /// It ended (or panicked) with nothing more to say.
    Gone,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread called `name`; it sends its messages through the sender
    /// it is given (a failed send means the window has closed: nobody waits any more).
    pub fn spawn(name: &str, work: impl FnOnce(Sender<T>) + Send + 'static) -> std::io::Result<Job<T>> {
        let (tx, rx) = channel();
        std::thread::Builder::new().name(name.into()).spawn(move || work(tx))?;
        Ok(Job { rx: Mutex::new(rx) })
    }

    /// Starts `work` on a thread called `name`; its answer is its one message.
    pub fn answer(name: &str, work: impl FnOnce() -> T + Send + 'static) -> std::io::Result<Job<T>> {
        Job::spawn(name, move |tx| tx.send(work()).unwrap_or(()))
    }

    /// The job's next message, if one has come.
    pub fn poll(&self) -> Poll<T> {
        let Ok(rx) = self.rx.lock() else { return Poll::Gone };
        match rx.try_recv() {
            Ok(m) => Poll::Got(m),
            Err(TryRecvError::Empty) => Poll::Waiting,
            Err(TryRecvError::Disconnected) => Poll::Gone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T: Send + 'static>(job: &Job<T>) -> Poll<T> {
        let t0 = std::time::Instant::now();
        loop {
            match job.poll() {
                Poll::Waiting if t0.elapsed().as_secs() < 10 => {
                    std::thread::sleep(std::time::Duration::from_millis(1))
                }
                other => return other,
            }
        }
    }

    #[test]
    fn messages_then_gone() {
        let job = Job::spawn("test-job", |tx| {
            tx.send(1).unwrap();
            tx.send(2).unwrap();
        })
        .unwrap();
        assert_eq!(wait(&job), Poll::Got(1));
        assert_eq!(wait(&job), Poll::Got(2));
        assert_eq!(wait(&job), Poll::Gone);
        let job = Job::answer("test-answer", || "done").unwrap();
        assert_eq!(wait(&job), Poll::Got("done"));
        // A job that panics is gone, not waited for forever.
        let job: Job<u8> = Job::answer("test-panic", || panic!("on purpose")).unwrap();
        assert_eq!(wait(&job), Poll::Gone);
    }
}
