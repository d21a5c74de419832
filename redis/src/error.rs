//! The crate's error type.

use std::fmt;

/// What went wrong talking to Redis or handling a job's payload.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Redis refused a command or the connection failed; the error is its
    /// `source()`.
    Redis(redis::RedisError),
    /// A job could not be serialised to JSON for the stream.
    Encode(serde_json::Error),
    /// A parameter was out of range; the text says which and why.
    Invalid(String),
    /// The consumer's engine thread could not start or ended abnormally.
    Engine(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Redis(e) => write!(f, "redis: {e}"),
            Error::Encode(e) => write!(f, "could not encode the job as JSON: {e}"),
            Error::Invalid(what) => write!(f, "invalid parameter: {what}"),
            Error::Engine(what) => write!(f, "consumer engine: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Redis(e) => Some(e),
            Error::Encode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        Error::Redis(e)
    }
}
