//! Whether a failure may pass when tried again: the one place errors are
//! classified. Throttling, 5xx answers, timeouts and dropped connections
//! are temporary; a missing object, a refused request, or input that is
//! not a CSV is permanent, and trying again would only fail again.
//!
//! AWS errors are classified where they happen ([`AwsError`], built by
//! [`aws_error`]) and carried in the error chain; [`classify`] reads the
//! chain, so a door (S3 Batch Operations' `TemporaryFailure` or
//! `PermanentFailure`) needs no knowledge of where the error came from.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// What trying again may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// The same request may succeed later.
    Temporary,
    /// It will fail the same way.
    Permanent,
}

/// Error codes AWS services answer when a caller goes too fast or the
/// service is briefly unable to answer (HTTP 503/500 and 400 alike).
const TEMPORARY_CODES: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "ServiceUnavailable",
];

/// An AWS request that failed: the message (context and the service's
/// code and message) and whether trying again may help.
#[derive(Debug)]
pub struct AwsError {
    pub message: String,
    pub retry: Retry,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AwsError {}

/// An SDK error as an [`AwsError`] saying `context: description`.
pub fn aws_error<E>(context: impl std::fmt::Display, err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    AwsError {
        message: format!("{context}: {}", super::s3::describe(err)),
        retry: sdk_retry(err),
    }
}

/// Classifies an SDK error by its kind, code and HTTP status.
pub fn sdk_retry<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Retry {
    match err {
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            let code = e.err().code().unwrap_or_default();
            if status >= 500 || status == 429 || TEMPORARY_CODES.contains(&code) {
                Retry::Temporary
            } else {
                Retry::Permanent
            }
        }
        // The request could not be built: it never will be.
        SdkError::ConstructionFailure(_) => Retry::Permanent,
        // Timeouts, connections refused or dropped, unreadable answers.
        _ => Retry::Temporary,
    }
}

/// Classifies any error by its chain: an [`AwsError`] decides; a dropped
/// or timed-out connection is temporary; anything else (bad input, not a
/// CSV, a refused option) is permanent.
pub fn classify(err: &anyhow::Error) -> Retry {
    for cause in err.chain() {
        if let Some(aws) = cause.downcast_ref::<AwsError>() {
            return aws.retry;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if transient_io(io.kind()) {
                return Retry::Temporary;
            }
        }
        // A body stream that failed mid-read (after its resumes).
        if cause
            .downcast_ref::<aws_sdk_s3::primitives::ByteStreamError>()
            .is_some()
        {
            return Retry::Temporary;
        }
    }
    Retry::Permanent
}

fn transient_io(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        ConnectionReset
            | ConnectionAborted
            | ConnectionRefused
            | TimedOut
            | BrokenPipe
            | UnexpectedEof
            | Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_decides() {
        let slow = AwsError {
            message: "s3://b/k: cannot read: SlowDown: Please reduce your request rate.".into(),
            retry: Retry::Temporary,
        };
        let err = anyhow::Error::new(slow).context("running the filter job");
        assert_eq!(classify(&err), Retry::Temporary);
        let missing = AwsError {
            message: "s3://b/k: cannot read: no such object".into(),
            retry: Retry::Permanent,
        };
        assert_eq!(classify(&anyhow::Error::new(missing)), Retry::Permanent);
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(
            classify(&anyhow::Error::new(reset).context("s3://b/k")),
            Retry::Temporary
        );
        // Input that is not a CSV fails the same way every time.
        let binary = anyhow::anyhow!("s3://b/k: binary data at byte 12; not a CSV");
        assert_eq!(classify(&binary), Retry::Permanent);
    }
}
