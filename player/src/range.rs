//! `EXT-X-BYTERANGE` on the wire: what a ranged request's answer holds. A server that honours `Range`
//! answers 206 with the sub-range; one that ignores it (a plain static server without range support,
//! some CDNs for small files) answers 200 with the whole resource, and the sub-range is cut from it.

use onair_media::playlist::ByteRange;

use crate::error::PlayerError;

/// The bytes of `range` from an answer with HTTP `status` and `body`, for the request to `url`.
pub fn sub_range(
    url: &str,
    status: u16,
    range: ByteRange,
    body: Vec<u8>,
) -> Result<Vec<u8>, PlayerError> {
    let short = |got: usize| {
        PlayerError::Media(format!(
            "{url}: asked for bytes {}..{}, got {got} bytes",
            range.offset,
            range.end()
        ))
    };
    if status == 206 {
        // Exactly the sub-range, or fewer when the resource is shorter than the playlist says.
        if u64::try_from(body.len()).ok() != Some(range.length) {
            return Err(short(body.len()));
        }
        return Ok(body);
    }
    let (Ok(start), Ok(end)) = (usize::try_from(range.offset), usize::try_from(range.end())) else {
        return Err(short(body.len()));
    };
    match body.get(start..end) {
        Some(part) => Ok(part.to_vec()),
        None => Err(short(body.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: ByteRange = ByteRange {
        offset: 2,
        length: 3,
    };

    #[test]
    fn partial_content_is_taken_as_it_is() {
        assert_eq!(
            sub_range("u", 206, R, vec![7, 8, 9]).unwrap(),
            vec![7, 8, 9]
        );
        assert!(sub_range("u", 206, R, vec![7, 8]).is_err());
    }

    #[test]
    fn a_whole_body_is_cut() {
        assert_eq!(
            sub_range("u", 200, R, vec![0, 1, 2, 3, 4, 5]).unwrap(),
            vec![2, 3, 4]
        );
        assert!(sub_range("u", 200, R, vec![0, 1, 2, 3]).is_err());
    }
}
