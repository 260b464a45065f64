//! Naming columns: `--columns` and `--select` tokens (a header name, else
//! a 1-based index), and the nearest header name for a misspelt one.

use crate::error::JobError;
use crate::job::Header;

/// Resolves a column token: a header name first, then a 1-based index.
/// `None` for a name when there is no header (an empty input).
pub(super) fn column_index(
    token: &str,
    header: Option<&Header>,
    role: &str,
) -> Result<Option<usize>, JobError> {
    if let Some(i) = header.and_then(|h| h.position(token)) {
        return Ok(Some(i));
    }
    match token.parse::<usize>() {
        Ok(0) => Err(JobError::BadIndex(token.to_string())),
        Ok(n) => Ok(Some(n - 1)),
        Err(_) => match header {
            None => Ok(None),
            Some(h) => Err(missing_column(token, h, role)),
        },
    }
}

fn missing_column(token: &str, header: &Header, role: &str) -> JobError {
    let note = header
        .names
        .iter()
        .enumerate()
        .find_map(|(i, n)| Some((i, std::str::from_utf8(n).err()?)))
        .map(|(i, bad)| {
            format!(
                "header field {} is not valid UTF-8 at byte {} of the name",
                i + 1,
                bad.valid_up_to()
            )
        })
        .or_else(|| suggest(token, header).map(|near| format!("did you mean {near:?}?")));
    JobError::MissingColumn {
        role: role.into(),
        column: token.to_string(),
        header: header.listing(),
        note,
    }
}

/// The header name nearest to `name` by edit distance (whatever the
/// case), when it is near enough to be a slip: two edits, or a third of
/// the name.
pub(crate) fn suggest(name: &str, header: &Header) -> Option<String> {
    let want = name.to_lowercase();
    header
        .names
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .map(|n| (distance(&want, &n.to_lowercase()), n))
        .filter(|(d, _)| *d <= 2 || *d * 3 <= want.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(distance("regoin", "region"), 2);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        let header = Header {
            raw: Vec::new(),
            names: vec![
                b"region".to_vec(),
                b"Ship Mode".to_vec(),
                b"amount".to_vec(),
            ],
        };
        assert_eq!(suggest("regoin", &header).as_deref(), Some("region"));
        assert_eq!(suggest("ship mode", &header).as_deref(), Some("Ship Mode"));
        assert_eq!(suggest("zzzzzz", &header), None);
    }
}
