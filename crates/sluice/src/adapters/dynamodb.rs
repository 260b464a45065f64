//! DynamoDB: the client (no retries of its own: the load job retries and
//! counts them), which errors are worth another attempt, and how long to
//! wait before it.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// How long one request may take before it is retried.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// The DynamoDB client: no retries of its own, and a bound on each attempt.
pub fn client(config: &aws_config::SdkConfig) -> Client {
    let config = aws_sdk_dynamodb::config::Builder::from(config)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// Error codes DynamoDB answers when it wants the caller to slow down or
/// try again.
const RETRYABLE_CODES: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
];

/// Retries: `attempts` in all, sleeping a random time up to
/// `min(cap, base × 2^retry)` before each retry ("full jitter").
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

/// 10 attempts: the last waits up to 10 s, all of them together about
/// 25 s on average and 51 s at most.
pub const BACKOFF: Backoff = Backoff {
    attempts: 10,
    base: Duration::from_millis(50),
    cap: Duration::from_secs(10),
};

impl Backoff {
    /// The sleep before retry number `retry` (0-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1 << retry.min(20)).min(self.cap);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Sends with `send` until it succeeds, fails for good, or the attempts
/// are spent. Returns the last result and the number of retries.
pub async fn with_retries<T, E, F, Fut>(
    backoff: &Backoff,
    retryable: impl Fn(&E) -> bool,
    mut send: F,
) -> (Result<T, E>, u64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut retries = 0u32;
    loop {
        match send().await {
            Err(e) if retryable(&e) && retries + 1 < backoff.attempts => {
                tokio::time::sleep(backoff.delay(retries)).await;
                retries += 1;
            }
            result => return (result, u64::from(retries)),
        }
    }
}

/// Throttling, server errors, timeouts and broken connections are worth
/// another attempt; anything else (validation, access, missing table) is not.
pub fn retryable<E: ProvideErrorMetadata>(
    err: &SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => {
            e.raw().status().is_server_error()
                || e.err()
                    .code()
                    .is_some_and(|code| RETRYABLE_CODES.contains(&code))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Fake {
        Throttled,
        Invalid,
    }

    const QUICK: Backoff = Backoff {
        attempts: 4,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(4),
    };

    #[tokio::test(flavor = "current_thread")]
    async fn throttling_is_retried_until_it_passes() {
        let mut answers = vec![Err(Fake::Throttled), Err(Fake::Throttled), Ok(7)].into_iter();
        let (result, retries) = with_retries(
            &QUICK,
            |e| *e == Fake::Throttled,
            || std::future::ready(answers.next().unwrap()),
        )
        .await;
        assert_eq!((result, retries), (Ok(7), 2));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn retries_end_with_the_error_when_spent_or_not_retryable() {
        let mut calls = 0;
        let (result, retries) = with_retries(
            &QUICK,
            |e| *e == Fake::Throttled,
            || {
                calls += 1;
                std::future::ready(Err::<(), _>(Fake::Throttled))
            },
        )
        .await;
        assert_eq!((result, retries, calls), (Err(Fake::Throttled), 3, 4));
        let (result, retries) = with_retries(
            &QUICK,
            |e| *e == Fake::Throttled,
            || std::future::ready(Err::<(), _>(Fake::Invalid)),
        )
        .await;
        assert_eq!((result, retries), (Err(Fake::Invalid), 0));
    }

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        for retry in 0..30 {
            let d = BACKOFF.delay(retry);
            let ceiling = (BACKOFF.base * (1 << retry.min(20))).min(BACKOFF.cap);
            assert!(d <= ceiling, "retry {retry}: {d:?} > {ceiling:?}");
        }
        let late: Vec<_> = (0..20).map(|_| BACKOFF.delay(12)).collect();
        assert!(late.iter().any(|d| *d != late[0]), "no jitter: {late:?}");
    }
}
