//! The edges: local files, S3 and DynamoDB. Adapters know nothing of
//! doors or jobs; they move bytes and requests, and describe AWS errors.

pub mod dynamodb;
pub mod local;
pub mod retry;
pub mod s3;
